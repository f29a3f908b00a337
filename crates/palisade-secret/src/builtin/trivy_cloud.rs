//! Trivy 0.76's built-in rules, continued: the Azure, Maven and OpenAI rules Trivy added last
//! (same conventions as `trivy.rs`).

use super::checks;
use super::{Def, Pat};
use crate::rule::Severity;

const C: Severity = Severity::Critical;
const H: Severity = Severity::High;
const M: Severity = Severity::Medium;

const fn raw(p: &'static str) -> Pat {
    Pat::Raw(p)
}

pub(crate) static DEFS: &[Def] = &[
    // Storage connection strings: AccountKey=<88-character base64 of a 64-byte key>.
    Def::new(
        "azure-storage-account-key",
        "Azure",
        "Azure Storage Account Key",
        C,
        raw(r"(?i)AccountKey\s*=\s*(?P<secret>[a-z0-9+/]{86}==)"),
        &["accountkey"],
    ),
    // Shared access signatures: sv=<date> … sig=<signature>.
    Def::new(
        "azure-sas-token",
        "Azure",
        "Azure Shared Access Signature Token",
        H,
        raw(
            r#"sv=[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[&;][A-Za-z]{1,12}=[^&;\s'"<>]*){0,16}?[&;]sig=(?P<secret>[A-Za-z0-9%+/=]{30,})"#,
        ),
        &["sig="],
    ),
    // Azure DevOps PATs: legacy 52 base32 characters after a telling key name, or the 84-character
    // identifiable format (Microsoft signature JQQJ99 at 52, service tag AZDO at 76).
    Def::new(
        "azure-devops-pat",
        "Azure",
        "Azure DevOps Personal Access Token",
        H,
        raw(
            r#"(?i)(?:azure[_\-]?devops|ado)[_\-]?(?:pat|token|personal[_ .\-]?access[_ .\-]?token)["']?\s*[:=]\s*["']?(?P<secret>[a-z2-7]{52})\b"#,
        ),
        &["devops", "ado"],
    ),
    Def::new(
        "azure-devops-pat",
        "Azure",
        "Azure DevOps Personal Access Token",
        H,
        raw(r"\b(?P<secret>[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{18}AZDO[A-Za-z0-9]{4})\b"),
        &["JQQJ99"],
    ),
    // Entra ID (Azure AD) client secrets: 3 characters, a version digit, Q~, 31 to 34 more.
    Def::new(
        "azure-entra-client-secret",
        "Azure",
        "Azure Entra ID Client Secret",
        C,
        raw(r"[A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34}"),
        &["Q~"],
    )
    .boundary(checks::entra),
    // Identifiable keys (84 characters: 52 random, JQQJ99, 18, a 4-letter service tag, 4).
    Def::new(
        "azure-container-registry-credential",
        "Azure",
        "Azure Container Registry Credential",
        C,
        raw(r"[A-Za-z0-9+/]{52}JQQJ99[A-Za-z0-9+/]{18}AZCR[A-Za-z0-9+/]{4}"),
        &["JQQJ99"],
    ),
    Def::new(
        "azure-container-registry-password",
        "Azure",
        "Azure Container Registry Password",
        C,
        raw(
            r#"(?i)azurecr\.io[^\n]{0,100}?(?:password|pwd)["']?\s*[:=]\s*["']?(?P<secret>[a-z0-9+/=]{32,52})"#,
        ),
        &["azurecr.io"],
    ),
    Def::new(
        "azure-app-config-connection-string",
        "Azure",
        "Azure App Configuration Connection String",
        C,
        raw(
            r"(?i)Endpoint\s*=\s*https://[a-z0-9\-]+\.azconfig\.io\s*;\s*Id\s*=\s*[a-z0-9+/=:\-]+\s*;\s*Secret\s*=\s*(?P<secret>[a-z0-9+/=~]{32,88})",
        ),
        &["azconfig.io"],
    ),
    Def::new(
        "azure-ai-services-key",
        "Azure",
        "Azure AI Services Key",
        H,
        raw(r"[A-Za-z0-9+/]{52}JQQJ99[A-Za-z0-9+/]{18}ACOG[A-Za-z0-9+/]{4}"),
        &["JQQJ99"],
    ),
    // Maven settings.xml credentials; `{…}` values are encrypted or property references.
    Def::new(
        "maven-settings-password",
        "Maven",
        "Maven settings.xml password",
        H,
        raw(r"(?i)<\s*password\s*>\s*(?P<secret>[^<{\s][^<{]*[^<\s])\s*<\s*/\s*password\s*>"),
        &["password"],
    )
    .path(r"(?i)(?:\A|[/\\])settings\.xml\z"),
    Def::new(
        "maven-settings-passphrase",
        "Maven",
        "Maven settings.xml passphrase",
        H,
        raw(r"(?i)<\s*passphrase\s*>\s*(?P<secret>[^<{\s][^<{]*[^<\s])\s*<\s*/\s*passphrase\s*>"),
        &["passphrase"],
    )
    .path(r"(?i)(?:\A|[/\\])settings\.xml\z"),
    Def::new(
        "maven-settings-security-master",
        "Maven",
        "Maven settings-security.xml master password",
        H,
        raw(r"(?i)<\s*master\s*>\s*(?P<secret>[^<\s][^<]*[^<\s])\s*<\s*/\s*master\s*>"),
        &["master"],
    )
    .path(r"(?i)(?:\A|[/\\])settings-security\.xml\z"),
    // OpenAI keys carry the watermark T3BlbkFJ (base64 of "OpenAI") between two random parts.
    Def::new(
        "openai-project-api-key",
        "OpenAI",
        "OpenAI Project API Key",
        C,
        raw(r"\b(?P<secret>sk-proj-[A-Za-z0-9_\-]{20,128}T3BlbkFJ[A-Za-z0-9_\-]{20,128})"),
        &["T3BlbkFJ"],
    ),
    Def::new(
        "openai-service-account-key",
        "OpenAI",
        "OpenAI Service Account Key",
        C,
        raw(r"\b(?P<secret>sk-svcacct-[A-Za-z0-9_\-]{20,128}T3BlbkFJ[A-Za-z0-9_\-]{20,128})"),
        &["T3BlbkFJ"],
    ),
    Def::new(
        "openai-admin-api-key",
        "OpenAI",
        "OpenAI Admin API Key",
        C,
        raw(r"\b(?P<secret>sk-admin-[A-Za-z0-9_\-]{20,128}T3BlbkFJ[A-Za-z0-9_\-]{20,128})"),
        &["T3BlbkFJ"],
    ),
    Def::new(
        "openai-legacy-api-key",
        "OpenAI",
        "OpenAI Legacy User API Key",
        H,
        raw(r"\b(?P<secret>sk-(?:None-)?[A-Za-z0-9]{20,42}T3BlbkFJ[A-Za-z0-9]{20,42})"),
        &["T3BlbkFJ"],
    ),
    Def::new(
        "openai-service-api-key",
        "OpenAI",
        "OpenAI Service API Key",
        H,
        raw(
            r"\b(?P<secret>sk-service-[A-Za-z0-9\-]{1,64}-[A-Za-z0-9]{20,74}T3BlbkFJ[A-Za-z0-9]{20,74})",
        ),
        &["T3BlbkFJ"],
    ),
    // Realtime API ephemeral client secrets: ek_ + 32 hex, a whole word.
    Def::new(
        "openai-realtime-client-secret",
        "OpenAI",
        "OpenAI Realtime Client Secret",
        M,
        raw(r"\b(?P<secret>ek_[a-f0-9]{32})\b"),
        &["ek_"],
    ),
];
