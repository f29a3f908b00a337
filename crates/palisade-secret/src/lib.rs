//! Exposed-secret scanner engine: finds credentials in files (every regular file of every image
//! layer, as it streams past) and in the image config, and reports them redacted.
//!
//! # Contract with Trivy
//!
//! The built-in rule set contains every rule of Trivy 0.76 with the same id, category, title and
//! severity, because those are what `ExposedSecretReport` consumers and dashboards filter on.
//! The patterns are written here from each provider's documented token format (prefix, length,
//! alphabet), not taken from Trivy; where the documented format is wider than Trivy's pattern
//! (longer Stripe keys, more AWS ID prefixes, values without quotes, compact JSON), the pattern
//! follows the documentation, so every secret Trivy reports is reported too. Findings carry
//! Trivy's fields: `RuleID`, `Category`, `Severity`, `Title`, `StartLine`, `EndLine`, `Code`
//! (two lines before, one after, long lines cut as Trivy cuts them), `Match` (the line with the
//! secret masked by `*`) and `Offset`.
//!
//! Not scanned, as in Trivy 0.76 (observed with its binary): `.git` and `node_modules`
//! directories, lock files, media and archive extensions, binary files (a control byte in the
//! first 300 bytes), and paths matched by Trivy's built-in allow rules (`tests`, `examples`,
//! `vendor`, `usr-dirs`, `locale-dir`, `markdown`, `node.js`, `golang`, `python`, `rubygems`,
//! `wordpress`, `anaconda-log`). Palisade adds two allow rules on values,
//! `palisade-placeholder` (`${VAR}`, `$(cmd)`, `{{ .x }}`, `<your-token>`, `xxxx`, `***`,
//! `changeme`, …) and `palisade-low-entropy` (one character or a short unit repeated, a counting
//! sequence); Trivy's `examples` rule already drops AWS's documented `…EXAMPLE` keys. All can be
//! switched off with `disable-allow-rules`.
//!
//! # Rules Palisade adds
//!
//! Ids start with `palisade-`, so they cannot clash with Trivy's:
//!
//! | id | what |
//! |---|---|
//! | `palisade-anthropic-api-key`, `palisade-anthropic-admin-key` | `sk-ant-api03-…`, `sk-ant-admin01-…` |
//! | `palisade-slack-app-token`, `palisade-slack-config-token` | `xapp-…`, `xoxe.xoxp-…` / `xoxe-…` |
//! | `palisade-stripe-restricted-key`, `palisade-stripe-webhook-secret` | `rk_live_…`, `whsec_…` |
//! | `palisade-npmrc-auth` | `_authToken=` / `_auth=` / `_password=` in `.npmrc` |
//! | `palisade-pypi-test-upload-token` | TestPyPI macaroons |
//! | `palisade-gitlab-runner-token`, `palisade-gitlab-deploy-token`, `palisade-gitlab-token` | `glrt-`, `GR1348941`, `gldt-`, `glptt-`, `glcbt-`, `gloas-`, `glimt-`, `glagent-`, `glsoat-`, `glffct-`, `glft-`, `glwt-` |
//! | `palisade-databricks-oauth-secret` | `dose…` |
//! | `palisade-digitalocean-token` | `dop_v1_`, `doo_v1_`, `dor_v1_` |
//! | `palisade-hugging-face-org-token` | `api_org_…` |
//! | `palisade-grafana-service-account-token`, `palisade-grafana-cloud-token` | `glsa_…`, `glc_…` |
//! | `palisade-gcp-api-key`, `palisade-gcp-oauth-client-secret` | `AIza…`, `GOCSPX-…` |
//! | `palisade-sentry-token` | `sntrys_…`, `sntryu_…` |
//! | `palisade-atlassian-api-token` | `ATATT3…` |
//! | `palisade-docker-hub-token`, `palisade-docker-config-auth` | `dckr_pat_`/`dckr_oat_`; `"auth"` in `.docker/config.json` |
//! | `palisade-vault-token` | `hvs.`, `hvb.`, `hvr.` |
//! | `palisade-tailscale-key` | `tskey-…` |
//! | `palisade-openrouter-api-key`, `palisade-groq-api-key`, `palisade-replicate-api-token`, `palisade-xai-api-key`, `palisade-perplexity-api-key`, `palisade-langsmith-api-key` | `sk-or-v1-`, `gsk_`, `r8_`, `xai-`, `pplx-`, `lsv2_` |
//! | `palisade-crates-io-token`, `palisade-nuget-api-key` | `cio…`, `oy2…` |
//! | `palisade-kubeconfig-client-key` | `client-key-data: LS0t…` |
//! | `palisade-url-credentials` | `scheme://user:password@host` |
//! | `palisade-square-token`, `palisade-jfrog-token` | `EAAA…`/`sq0csp-`; `AKCp…`/reference tokens |
//! | `palisade-new-relic-license-key`, `palisade-sonarqube-token` | `…NRAL`; `squ_`/`sqp_`/`sqa_` |
//! | `palisade-1password-service-account-token`, `palisade-notion-token`, `palisade-supabase-token`, `palisade-netlify-token`, `palisade-figma-token`, `palisade-buildkite-token`, `palisade-circleci-token`, `palisade-hubspot-private-app-token`, `palisade-brevo-smtp-key`, `palisade-flyio-token` | `ops_eyJ`, `ntn_`, `sbp_`, `nfp_`, `figd_`, `bkua_`, `CCIPAT_`, `pat-na1-`, `xsmtpsib-`, `fo1_` |
//!
//! [`builtin_rule_info`] lists every built-in rule with its metadata.
//!
//! # How a file is scanned
//!
//! One pass of an Aho-Corasick automaton over the bytes finds the rules' keywords; only the
//! rules whose keywords occur run their regex. Regexes are Rust's `regex` on bytes: linear time
//! in the input whatever the pattern, so a custom rule that would backtrack catastrophically in
//! a backtracking engine cannot hang a scan; invalid UTF-8 and NUL bytes are just bytes.
//! [`Scanner::scan_reader`] reads a file in chunks with an overlap (see [`ScanOptions`]), so
//! memory stays around one chunk whatever the file size or line length, and findings equal those
//! of a whole-file scan for matches up to [`ScanOptions::max_match_len`].
//!
//! Limits of streaming, all beyond what the built-in rules need: a keyword switches its rule on
//! for the rest of the file, so a custom rule whose keyword lies outside its match, in a file
//! larger than a chunk, misses matches before the keyword's first occurrence (Trivy checks
//! keywords over the whole file); a match longer than `max_match_len` may be cut at a window end,
//! where `$` and `\z` also hold; context lines starting more than
//! [`ScanOptions::context_lookback`] bytes before a secret are left out of `Code`.
//!
//! # Redaction
//!
//! A [`Finding`] holds the redacted line and context only: the secret bytes are never stored
//! in it, so neither its `Debug`, `Display` nor serde output can contain them, and the engine
//! logs nothing.

mod allow;
mod builtin;
mod config;
mod engine;
mod finding;
mod image;
mod rule;
mod scanner;
mod stream;

pub use allow::PathSkip;
pub use builtin::{RuleInfo, builtin_rule_info};
pub use config::{ConfigError, ConfigProblem, MAX_CONFIG_BYTES};
pub use finding::{CodeLine, Finding};
pub use image::ImageConfigFields;
pub use rule::{AllowRule, Rule, Severity};
pub use scanner::{FileScan, LARGE_FILE, ScanError, ScanOptions, Scanner, Skip};
pub use stream::StreamScan;
