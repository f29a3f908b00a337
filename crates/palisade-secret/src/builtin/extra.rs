//! Palisade's own rules: token formats that recent leaks use and Trivy 0.76 does not detect.
//!
//! Every id starts with `palisade-`, so none can clash with a Trivy id present or future. Each
//! pattern follows the provider's documented format; where a provider adds a checksum, the
//! pattern checks the shape only (so test and revoked tokens are found too).

use super::checks;
use super::{Def, Pat};
use crate::rule::Severity;

const C: Severity = Severity::Critical;
const H: Severity = Severity::High;
const M: Severity = Severity::Medium;
const L: Severity = Severity::Low;

const fn raw(p: &'static str) -> Pat {
    Pat::Raw(p)
}

pub(crate) static DEFS: &[Def] = &[
    // Anthropic: sk-ant-api03- / sk-ant-admin01- + 93 base64url characters + AA (108 in all).
    Def::new(
        "palisade-anthropic-api-key",
        "Anthropic",
        "Anthropic API Key",
        C,
        raw(r"\b(?P<secret>sk-ant-api[0-9]{2}-[A-Za-z0-9_\-]{80,100}AA)\b"),
        &["sk-ant-api"],
    ),
    Def::new(
        "palisade-anthropic-admin-key",
        "Anthropic",
        "Anthropic Admin API Key",
        C,
        raw(r"\b(?P<secret>sk-ant-admin[0-9]{2}-[A-Za-z0-9_\-]{80,100}AA)\b"),
        &["sk-ant-admin"],
    ),
    // Slack app-level tokens: xapp-<n>-<app id>-<number>-<64 hex>.
    Def::new(
        "palisade-slack-app-token",
        "Slack",
        "Slack App-Level Token",
        H,
        raw(r"\b(?P<secret>xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,16}-[a-f0-9]{64})\b"),
        &["xapp-"],
    ),
    // Slack configuration tokens (xoxe.xoxp-…) and their refresh tokens (xoxe-…).
    Def::new(
        "palisade-slack-config-token",
        "Slack",
        "Slack Configuration Token",
        H,
        raw(r"\b(?P<secret>xoxe(?:\.xox[bp])?-[0-9]-[A-Za-z0-9]{100,200})"),
        &["xoxe"],
    ),
    // Stripe restricted keys (rk_) and webhook signing secrets (whsec_).
    Def::new(
        "palisade-stripe-restricted-key",
        "Stripe",
        "Stripe Restricted Key",
        C,
        raw(r"\b(?P<secret>rk_(?:live|test)_[0-9A-Za-z]{10,247})"),
        &["rk_live_", "rk_test_"],
    ),
    Def::new(
        "palisade-stripe-webhook-secret",
        "Stripe",
        "Stripe Webhook Signing Secret",
        H,
        raw(r"\b(?P<secret>whsec_[A-Za-z0-9+/=]{32,88})"),
        &["whsec_"],
    ),
    // .npmrc credentials: _authToken / _auth / _password lines (npm_ tokens are reported by
    // npm-access-token, legacy UUID tokens and basic-auth values by this rule).
    Def::new(
        "palisade-npmrc-auth",
        "Npm",
        "npm registry credential in .npmrc",
        H,
        raw(r#"(?i)(?:_authtoken|_auth|_password)\s*=\s*["']?(?P<secret>[^\s"'$][^\s"']{7,})"#),
        &["_auth", "_password"],
    )
    .path(r"(?:\A|/)\.npmrc\z"),
    // TestPyPI upload tokens (macaroon location test.pypi.org).
    Def::new(
        "palisade-pypi-test-upload-token",
        "PyPI",
        "TestPyPI upload token",
        M,
        raw(r"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_\-]{50,}"),
        &["pypi-AgENdGVzdC5weXBpLm9yZw"],
    ),
    // GitLab's other token prefixes: runner authentication (glrt-), runner registration
    // (GR1348941), deploy (gldt-), and the rest of the documented list.
    Def::new(
        "palisade-gitlab-runner-token",
        "GitLab",
        "GitLab Runner Token",
        H,
        raw(r"\b(?P<secret>glrt-(?:t[0-9]_)?[0-9A-Za-z_\-]{20,}|GR1348941[0-9A-Za-z_\-]{20})"),
        &["glrt-", "GR1348941"],
    ),
    Def::new(
        "palisade-gitlab-deploy-token",
        "GitLab",
        "GitLab Deploy Token",
        H,
        raw(r"\b(?P<secret>gldt-[0-9A-Za-z_\-]{20,})"),
        &["gldt-"],
    ),
    Def::new(
        "palisade-gitlab-token",
        "GitLab",
        "GitLab Token",
        H,
        raw(
            r"\b(?P<secret>(?:glptt|glcbt|gloas|glimt|glagent|glsoat|glffct|glft|glwt)-[0-9A-Za-z_\-]{20,})",
        ),
        &["glptt-", "glcbt-", "gloas-", "glimt-", "glagent-", "glsoat-", "glffct-", "glft-", "glwt-"],
    ),
    // Databricks OAuth secrets: dose + 32 hex.
    Def::new(
        "palisade-databricks-oauth-secret",
        "Databricks",
        "Databricks OAuth Secret",
        H,
        raw(r"\b(?P<secret>dose[a-f0-9]{32})\b"),
        &["dose"],
    ),
    // DigitalOcean: dop_v1_ (personal), doo_v1_ (OAuth), dor_v1_ (refresh) + 64 hex.
    Def::new(
        "palisade-digitalocean-token",
        "DigitalOcean",
        "DigitalOcean Token",
        C,
        raw(r"\b(?P<secret>do[opr]_v1_[a-f0-9]{64})\b"),
        &["dop_v1_", "doo_v1_", "dor_v1_"],
    ),
    // Hugging Face organisation API tokens (api_org_).
    Def::new(
        "palisade-hugging-face-org-token",
        "HuggingFace",
        "Hugging Face Organization API Token",
        H,
        raw(r"\b(?P<secret>api_org_[A-Za-z0-9]{34})\b"),
        &["api_org_"],
    ),
    // Grafana service-account tokens (glsa_<32>_<8 hex checksum>) and Grafana Cloud tokens
    // (glc_ + base64).
    Def::new(
        "palisade-grafana-service-account-token",
        "Grafana",
        "Grafana Service Account Token",
        H,
        raw(r"\b(?P<secret>glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})\b"),
        &["glsa_"],
    ),
    Def::new(
        "palisade-grafana-cloud-token",
        "Grafana",
        "Grafana Cloud Token",
        H,
        raw(r"\b(?P<secret>glc_[A-Za-z0-9+/]{32,400}={0,2})"),
        &["glc_"],
    ),
    // Google API keys (AIza + 35) and OAuth client secrets (GOCSPX- + 28).
    Def::new(
        "palisade-gcp-api-key",
        "Google",
        "Google API Key",
        H,
        raw(r"\b(?P<secret>AIza[0-9A-Za-z_\-]{35})"),
        &["AIza"],
    ),
    Def::new(
        "palisade-gcp-oauth-client-secret",
        "Google",
        "Google OAuth Client Secret",
        H,
        raw(r"\b(?P<secret>GOCSPX-[0-9A-Za-z_\-]{28})"),
        &["GOCSPX-"],
    ),
    // Sentry organisation tokens (sntrys_ + base64 JSON) and user tokens (sntryu_ + 64 hex).
    Def::new(
        "palisade-sentry-token",
        "Sentry",
        "Sentry Auth Token",
        M,
        raw(r"\b(?P<secret>sntrys_eyJ[A-Za-z0-9+/=_\-]{50,}|sntryu_[a-f0-9]{64})"),
        &["sntrys_", "sntryu_"],
    ),
    // Atlassian API tokens issued since 2023: ATATT3 + about 186 characters with a checksum.
    Def::new(
        "palisade-atlassian-api-token",
        "Atlassian",
        "Atlassian API Token (ATATT)",
        H,
        raw(r"\b(?P<secret>ATATT3[A-Za-z0-9_=\-]{170,220})"),
        &["ATATT3"],
    ),
    // Docker Hub personal (dckr_pat_) and organisation (dckr_oat_) access tokens.
    Def::new(
        "palisade-docker-hub-token",
        "Docker",
        "Docker Hub Access Token",
        H,
        raw(r"\b(?P<secret>dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,})"),
        &["dckr_pat_", "dckr_oat_"],
    ),
    // HashiCorp Vault tokens (Vault 1.10+): hvs. service, hvb. batch, hvr. recovery.
    Def::new(
        "palisade-vault-token",
        "HashiCorp",
        "HashiCorp Vault Token",
        H,
        raw(r"\b(?P<secret>hv[sbr]\.[A-Za-z0-9_\-]{60,})"),
        &["hvs.", "hvb.", "hvr."],
    ),
    // Tailscale: tskey-<kind>-<id>-<secret>.
    Def::new(
        "palisade-tailscale-key",
        "Tailscale",
        "Tailscale Key",
        H,
        raw(r"\b(?P<secret>tskey-(?:api|auth|client|webhook|scim)-[A-Za-z0-9]{6,}-[A-Za-z0-9]{20,})"),
        &["tskey-"],
    ),
    // LLM providers: OpenRouter, Groq, Replicate, xAI, Perplexity, LangSmith.
    Def::new(
        "palisade-openrouter-api-key",
        "OpenRouter",
        "OpenRouter API Key",
        H,
        raw(r"\b(?P<secret>sk-or-v1-[a-f0-9]{64})\b"),
        &["sk-or-v1-"],
    ),
    Def::new(
        "palisade-groq-api-key",
        "Groq",
        "Groq API Key",
        H,
        raw(r"\b(?P<secret>gsk_[A-Za-z0-9]{52})\b"),
        &["gsk_"],
    ),
    Def::new(
        "palisade-replicate-api-token",
        "Replicate",
        "Replicate API Token",
        H,
        raw(r"\b(?P<secret>r8_[A-Za-z0-9]{37})\b"),
        &["r8_"],
    ),
    Def::new(
        "palisade-xai-api-key",
        "xAI",
        "xAI API Key",
        H,
        raw(r"\b(?P<secret>xai-[A-Za-z0-9]{80})\b"),
        &["xai-"],
    ),
    Def::new(
        "palisade-perplexity-api-key",
        "Perplexity",
        "Perplexity API Key",
        H,
        raw(r"\b(?P<secret>pplx-[A-Za-z0-9]{48})\b"),
        &["pplx-"],
    ),
    Def::new(
        "palisade-langsmith-api-key",
        "LangChain",
        "LangSmith API Key",
        H,
        raw(r"\b(?P<secret>lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b"),
        &["lsv2_"],
    ),
    // Package registries: crates.io (cio + 32), NuGet (oy2 + 43).
    Def::new(
        "palisade-crates-io-token",
        "crates.io",
        "crates.io API Token",
        H,
        raw(r"\b(?P<secret>cio[A-Za-z0-9]{32})\b"),
        &["cio"],
    ),
    Def::new(
        "palisade-nuget-api-key",
        "NuGet",
        "NuGet API Key",
        H,
        raw(r"\b(?P<secret>oy2[a-z0-9]{43})\b"),
        &["oy2"],
    ),
    // Docker client config (~/.docker/config.json): "auth" holds base64(user:password).
    Def::new(
        "palisade-docker-config-auth",
        "Docker",
        "Docker registry credential in config.json",
        H,
        raw(r#""auth"\s*:\s*"(?P<secret>[A-Za-z0-9+/]{6,}={0,2})""#),
        &["\"auth\""],
    )
    .path(r"(?:\A|/)\.docker/config\.json\z|(?:\A|/)\.dockercfg\z"),
    // kubeconfig client keys: client-key-data holds a base64 PEM ("-----" encodes to LS0t).
    Def::new(
        "palisade-kubeconfig-client-key",
        "Kubernetes",
        "Kubernetes client key in kubeconfig",
        C,
        raw(r#"client-key-data["']?\s*:\s*["']?(?P<secret>LS0t[A-Za-z0-9+/]{20,}={0,2})"#),
        &["client-key-data"],
    ),
    // user:password@ in a URL (database URLs, registry URLs, git remotes).
    Def::new(
        "palisade-url-credentials",
        "URL",
        "Password in URL",
        H,
        raw(
            r#"\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@'"<>]{1,64}:(?P<secret>[^\s:/@'"<>]{3,128})@[A-Za-z0-9.\-]+"#,
        ),
        &["://"],
    )
    .check(checks::url_password),
    // Square access tokens (EAAA + 60) and OAuth secrets (sq0csp-).
    Def::new(
        "palisade-square-token",
        "Square",
        "Square Access Token",
        H,
        raw(r"EAAA[A-Za-z0-9_\-]{60}|sq0(?:atp|csp)-[A-Za-z0-9_\-]{22,43}"),
        &["EAAA", "sq0atp-", "sq0csp-"],
    )
    .boundary(checks::base64url),
    // JFrog API keys (AKCp + 69) and reference tokens (base64 of "reftkn:01:").
    Def::new(
        "palisade-jfrog-token",
        "JFrog",
        "JFrog Token",
        H,
        raw(r"\b(?P<secret>AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{50,})"),
        &["AKCp", "cmVmdGtuOjAxOj"],
    ),
    // New Relic license keys: 36 hex + NRAL.
    Def::new(
        "palisade-new-relic-license-key",
        "NewRelic",
        "New Relic License Key",
        M,
        raw(r"\b(?P<secret>[a-f0-9]{36}NRAL)\b"),
        &["NRAL"],
    ),
    // SonarQube/SonarCloud tokens: squ_ (user), sqp_ (project), sqa_ (global analysis).
    Def::new(
        "palisade-sonarqube-token",
        "SonarQube",
        "SonarQube Token",
        M,
        raw(r"\b(?P<secret>sq[upa]_[a-f0-9]{40})\b"),
        &["squ_", "sqp_", "sqa_"],
    ),
    Def::new(
        "palisade-1password-service-account-token",
        "1Password",
        "1Password Service Account Token",
        C,
        raw(r"\b(?P<secret>ops_eyJ[A-Za-z0-9+/=_\-]{100,})"),
        &["ops_eyJ"],
    ),
    Def::new(
        "palisade-notion-token",
        "Notion",
        "Notion Integration Token",
        H,
        raw(r"\b(?P<secret>ntn_[0-9]{11}[A-Za-z0-9]{35})\b"),
        &["ntn_"],
    ),
    Def::new(
        "palisade-supabase-token",
        "Supabase",
        "Supabase Access Token",
        H,
        raw(r"\b(?P<secret>sbp_[a-f0-9]{40})\b"),
        &["sbp_"],
    ),
    Def::new(
        "palisade-netlify-token",
        "Netlify",
        "Netlify Access Token",
        H,
        raw(r"\b(?P<secret>nfp_[A-Za-z0-9]{36})\b"),
        &["nfp_"],
    ),
    Def::new(
        "palisade-figma-token",
        "Figma",
        "Figma Personal Access Token",
        M,
        raw(r"figd_[A-Za-z0-9_\-]{40}"),
        &["figd_"],
    )
    .boundary(checks::base64url),
    Def::new(
        "palisade-buildkite-token",
        "Buildkite",
        "Buildkite API Token",
        H,
        raw(r"\b(?P<secret>bkua_[a-f0-9]{40})\b"),
        &["bkua_"],
    ),
    Def::new(
        "palisade-circleci-token",
        "CircleCI",
        "CircleCI Personal API Token",
        H,
        raw(r"\b(?P<secret>CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40})\b"),
        &["CCIPAT_"],
    ),
    // HubSpot private-app tokens: pat-<region>-<UUID>.
    Def::new(
        "palisade-hubspot-private-app-token",
        "HubSpot",
        "HubSpot Private App Token",
        H,
        raw(r"\b(?P<secret>pat-(?:na|eu|ap)[0-9]-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})\b"),
        &["pat-na", "pat-eu", "pat-ap"],
    ),
    // Brevo (Sendinblue) SMTP keys.
    Def::new(
        "palisade-brevo-smtp-key",
        "Sendinblue",
        "Brevo SMTP Key",
        L,
        raw(r"xsmtpsib-[a-f0-9]{64}-[A-Za-z0-9]{16}"),
        &["xsmtpsib-"],
    ),
    // Fly.io tokens (fo1_ + 43).
    Def::new(
        "palisade-flyio-token",
        "Fly.io",
        "Fly.io Access Token",
        H,
        raw(r"fo1_[A-Za-z0-9_\-]{43}"),
        &["fo1_"],
    )
    .boundary(checks::base64url),
];
