//! Errors: [`ApiError`] is what a client sees (a Kubernetes `Status` object with the real
//! reason and HTTP code, because clients such as kube-rs and kubectl branch on them), and
//! [`Error`] is what the library's own API returns to the program embedding the server.

use serde_json::{Value, json};

/// Failure of [`crate::serve`] or of loading and saving the state file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Binding the listening socket failed (port in use, no permission).
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The requested port (0 means "any free port").
        port: u16,
        /// The underlying socket error.
        source: std::io::Error,
    },
    /// Reading or writing a file (kubeconfig, state file) failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What we were doing, e.g. "writing kubeconfig".
        what: &'static str,
        /// The file involved.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The state file exists but does not hold a state we wrote.
    #[error("state file {path} is not valid: {message}")]
    BadState {
        /// The state file.
        path: std::path::PathBuf,
        /// Why it was rejected.
        message: String,
    },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error answered to an HTTP client as a `Status` object.
///
/// The reason strings and codes are those of the real API server, since client libraries
/// dispatch on them (kube-rs treats 410 as "re-list", controllers retry on 409).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `Status.reason`, e.g. `NotFound`.
    pub reason: &'static str,
    /// Human-readable message, worded like the real server's.
    pub message: String,
    /// `Status.details`, when the real server fills it.
    pub details: Option<Value>,
}

/// Result type of request handlers.
pub type ApiResult<T> = std::result::Result<T, ApiError>;

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// `resource` is `plural` or `plural.group` as the real server words it.
    pub fn not_found(resource: &str, name: &str) -> Self {
        let (kind, group) = split_resource(resource);
        Self::new(404, "NotFound", format!("{resource} \"{name}\" not found"))
            .with_details(json!({"name": name, "group": group, "kind": kind}))
    }

    /// 409 AlreadyExists for a create of an existing name.
    pub fn already_exists(resource: &str, name: &str) -> Self {
        let (kind, group) = split_resource(resource);
        Self::new(
            409,
            "AlreadyExists",
            format!("{resource} \"{name}\" already exists"),
        )
        .with_details(json!({"name": name, "group": group, "kind": kind}))
    }

    /// 409 Conflict for a stale resourceVersion or failed precondition.
    pub fn conflict(resource: &str, name: &str, why: &str) -> Self {
        let (kind, group) = split_resource(resource);
        Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}"),
        )
        .with_details(json!({"name": name, "group": group, "kind": kind}))
    }

    /// 422 Invalid, with one cause per offending field.
    pub fn invalid(kind: &str, name: &str, causes: Vec<(String, String)>) -> Self {
        let text: Vec<String> = causes.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        let joined = if text.len() == 1 {
            text.join("")
        } else {
            format!("[{}]", text.join(", "))
        };
        let causes: Vec<Value> = causes
            .into_iter()
            .map(|(field, message)| json!({"reason": "FieldValueInvalid", "message": message, "field": field}))
            .collect();
        Self::new(
            422,
            "Invalid",
            format!("{kind} \"{name}\" is invalid: {joined}"),
        )
        .with_details(json!({"name": name, "kind": kind, "causes": causes}))
    }

    /// 410 Gone: a watch or continue token asked for history we no longer keep.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 400 BadRequest for a malformed request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 413 for a body over the size cap.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {limit}"),
        )
    }

    /// 415 for a content type the endpoint does not accept.
    pub fn unsupported_media(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {content_type:?})"
            ),
        )
    }

    /// 405 for a verb the resource does not support.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }

    /// 404 for a path that names no endpoint at all.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    /// 406 when no media type or representation in `Accept` can be served, or the
    /// negotiated one does not fit the response (a list asked for as one object).
    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message)
    }

    /// 500 for a server-side failure that is not the client's fault.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    /// The `Status` object sent as the response body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let (Some(d), Some(obj)) = (&self.details, status.as_object_mut()) {
            let mut d = d.clone();
            // The real server omits empty fields (`group` of core types); strict
            // clients such as kube-rs fail to decode the whole Status on a null.
            if let Some(m) = d.as_object_mut() {
                m.retain(|_, v| !v.is_null());
            }
            obj.insert("details".into(), d);
        }
        status
    }
}

fn split_resource(resource: &str) -> (&str, Option<&str>) {
    match resource.split_once('.') {
        Some((k, g)) => (k, Some(g)),
        None => (resource, None),
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.reason, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bodies_carry_reason_and_code() {
        let s = ApiError::not_found("deployments.apps", "web").to_status();
        assert_eq!(s["reason"], "NotFound");
        assert_eq!(s["code"], 404);
        assert_eq!(s["message"], "deployments.apps \"web\" not found");
        assert_eq!(s["details"]["group"], "apps");
        let c = ApiError::conflict("pods", "p", "the object has been modified").to_status();
        assert_eq!(c["code"], 409);
        assert_eq!(c["reason"], "Conflict");
        let core = ApiError::not_found("configmaps", "x").to_status();
        assert!(
            core["details"].get("group").is_none(),
            "no null group for core types: {core}"
        );
    }
}
