//! Trivy 0.76's built-in rules: ids, categories, titles and severities exactly as Trivy reports
//! them (observed with the 0.76 binary), patterns written here from each provider's documented
//! token format.
//!
//! Conventions in the patterns: `\b` is an ASCII word boundary (Unicode is off), so `\bghp_`
//! refuses `X_ghp_…` as Trivy does; fixed-length prefixed tokens have no boundary after them, as
//! in Trivy, so a token followed by more characters is still reported.

use super::checks;
use super::{Def, Pat};
use crate::rule::Severity;

const C: Severity = Severity::Critical;
const H: Severity = Severity::High;
const M: Severity = Severity::Medium;
const L: Severity = Severity::Low;
const U: Severity = Severity::Unknown;

/// A UUID (hex, any case since keyed rules are case-insensitive).
const UUID: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

const fn keyed(name: &'static str, value: &'static str) -> Pat {
    Pat::Keyed { name, value }
}

const fn raw(p: &'static str) -> Pat {
    Pat::Raw(p)
}

pub(crate) static DEFS: &[Def] = &[
    // AWS IAM unique-ID prefixes (AKIA access key, ASIA temporary key, ABIA/ACCA/AGPA/AIDA/AIPA/
    // ANPA/ANVA/APKA/AROA/ASCA other principals, A3T legacy) + 16 upper-case base32 characters.
    Def::new(
        "aws-access-key-id",
        "AWS",
        "AWS Access Key ID",
        C,
        raw(
            r"\b(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16})\b",
        ),
        &[
            "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA",
            "ASCA", "A3T",
        ],
    ),
    // A 40-character base64 secret key after a name like aws_secret_access_key / AWS_SECRET_KEY.
    Def::new(
        "aws-secret-access-key",
        "AWS",
        "AWS Secret Access Key",
        C,
        raw(
            r#"(?i)aws_?(?:sec(?:ret)?_?)?(?:access_?)?key["']?\s*(?::|=>|=)?\s*["']?(?P<secret>[a-z0-9/+=]{40})(?:[^a-z0-9/+=]|\z)"#,
        ),
        &["aws"],
    )
    .check(checks::not_all_hex),
    // GitHub tokens: a type prefix and 36 base62 characters (30 random + a 6-character CRC32).
    Def::new(
        "github-pat",
        "GitHub",
        "GitHub Personal Access Token",
        C,
        raw(r"\b(?P<secret>ghp_[0-9A-Za-z]{36})"),
        &["ghp_"],
    ),
    Def::new(
        "github-oauth",
        "GitHub",
        "GitHub OAuth Access Token",
        C,
        raw(r"\b(?P<secret>gho_[0-9A-Za-z]{36})"),
        &["gho_"],
    ),
    // ghu_ keeps the fixed format; ghs_ installation tokens may be the newer stateless
    // `ghs_<app id>_<JWT>` form, longer and with `.`, `-`, `_`.
    Def::new(
        "github-app-token",
        "GitHub",
        "GitHub App Token",
        C,
        raw(r"\b(?P<secret>ghu_[0-9A-Za-z]{36}|ghs_[0-9A-Za-z._\-]{36,})"),
        &["ghu_", "ghs_"],
    ),
    Def::new(
        "github-refresh-token",
        "GitHub",
        "GitHub Refresh Token",
        C,
        raw(r"\b(?P<secret>ghr_[0-9A-Za-z]{76})"),
        &["ghr_"],
    ),
    // github_pat_ + 22 base62 (id) + _ + 59 base62 (secret and checksum).
    Def::new(
        "github-fine-grained-pat",
        "GitHub",
        "GitHub Fine-grained personal access tokens",
        C,
        raw(r"github_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59}"),
        &["github_pat_"],
    ),
    // glpat- + 20 characters; newer routable tokens are longer and end in `.<2>.<9>`.
    Def::new(
        "gitlab-pat",
        "GitLab",
        "GitLab Personal Access Token",
        C,
        raw(r"\b(?P<secret>glpat-[0-9A-Za-z_\-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,12})?)"),
        &["glpat-"],
    ),
    // hf_ + 34 (to 40) alphanumerics, a whole word.
    Def::new(
        "hugging-face-access-token",
        "HuggingFace",
        "Hugging Face Access Token",
        C,
        raw(r"\b(?P<secret>hf_[A-Za-z0-9]{34,40})\b"),
        &["hf_"],
    ),
    // PEM (RFC 7468) private keys of any algorithm, PGP private key blocks; the body (base64,
    // possibly with RFC 1421 headers or JSON `\n` escapes) is the secret.
    Def::new(
        "private-key",
        "AsymmetricPrivateKey",
        "Asymmetric Private Key",
        H,
        raw(
            r"(?i)-----\s*BEGIN[ A-Z0-9_\-]*PRIVATE KEY(?: BLOCK)?\s*-----\s*(?P<secret>[A-Z0-9+/=\\][A-Z0-9+/=\\\s:,.()_\-]{30,}?[A-Z0-9+/=\\])\s*-----\s*END[ A-Z0-9_\-]*PRIVATE KEY(?: BLOCK)?\s*-----",
        ),
        &["private key"],
    ),
    // Shopify: shpat_ (admin API), shpca_ (custom app), shppa_ (private app), shpss_ (shared
    // secret) + 32 hex.
    Def::new(
        "shopify-token",
        "Shopify",
        "Shopify token",
        H,
        raw(r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
        &["shpat_", "shpca_", "shppa_", "shpss_"],
    ),
    // Slack xoxb/xoxp/xoxa/xoxr/xoxs tokens: dash-separated numeric ids then a random part.
    Def::new(
        "slack-access-token",
        "Slack",
        "Slack token",
        H,
        raw(r"\b(?P<secret>xox[abprs]-[0-9A-Za-z]{10,48}(?:-[0-9A-Za-z]{1,64}){0,4})"),
        &["xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"],
    ),
    // Stripe API keys: pk_/sk_ + live/test + base62, up to 255 characters in all.
    Def::new(
        "stripe-publishable-token",
        "Stripe",
        "Stripe Publishable Key",
        L,
        raw(r"\b(?P<secret>pk_(?:test|live)_[0-9A-Za-z]{10,247})"),
        &["pk_test_", "pk_live_"],
    ),
    Def::new(
        "stripe-secret-token",
        "Stripe",
        "Stripe Secret Key",
        C,
        raw(r"\b(?P<secret>sk_(?:test|live)_[0-9A-Za-z]{10,247})"),
        &["sk_test_", "sk_live_"],
    ),
    // PyPI API tokens are macaroons: "pypi-" + base64 of the serialized macaroon, whose first
    // bytes name the location "pypi.org".
    Def::new(
        "pypi-upload-token",
        "PyPI",
        "PyPI upload token",
        H,
        raw(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),
        &["pypi-AgEIcHlwaS5vcmc"],
    ),
    // A Google service-account key file (JSON with "type": "service_account").
    Def::new(
        "gcp-service-account",
        "Google",
        "Google (GCP) Service-account",
        C,
        raw(r#""type"\s*:\s*"service_account""#),
        &["service_account"],
    ),
    Def::new("heroku-api-key", "Heroku", "Heroku API Key", H, keyed("heroku", UUID), &[]),
    // Incoming webhooks: https://hooks.slack.com/services/T…/B…/<24 characters>.
    Def::new(
        "slack-web-hook",
        "Slack",
        "Slack Webhook",
        M,
        raw(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}"),
        &["hooks.slack.com"],
    ),
    // Twilio API key SID: SK + 32 hex.
    Def::new(
        "twilio-api-key",
        "Twilio",
        "Twilio API Key",
        M,
        raw(r"\b(?P<secret>SK[0-9a-fA-F]{32})"),
        &["SK"],
    ),
    // age X25519 identities: Bech32, upper case, HRP AGE-SECRET-KEY-.
    Def::new(
        "age-secret-key",
        "Age",
        "Age secret key",
        M,
        raw(r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
        &["AGE-SECRET-KEY-1"],
    ),
    Def::new("facebook-token", "Facebook", "Facebook token", L, keyed("facebook", "[a-f0-9]{32}"), &[]),
    Def::new("twitter-token", "Twitter", "Twitter token", L, keyed("twitter", "[a-f0-9]{35,44}"), &[]),
    Def::new(
        "adobe-client-id",
        "Adobe",
        "Adobe Client ID (Oauth Web)",
        L,
        keyed("adobe", "[a-f0-9]{32}"),
        &[],
    ),
    Def::new(
        "adobe-client-secret",
        "Adobe",
        "Adobe Client Secret",
        L,
        raw(r"p8e-[A-Za-z0-9]{32}"),
        &["p8e-"],
    ),
    // Alibaba Cloud AccessKey IDs: LTAI + 12 to 20 alphanumerics, not inside a longer word.
    Def::new(
        "alibaba-access-key-id",
        "Alibaba",
        "Alibaba AccessKey ID",
        H,
        raw(r"LTAI[A-Za-z0-9]{12,20}"),
        &["LTAI"],
    )
    .boundary(checks::alnum),
    Def::new("alibaba-secret-key", "Alibaba", "Alibaba Secret Key", H, keyed("alibaba", "[a-z0-9]{30}"), &[]),
    Def::new("asana-client-id", "Asana", "Asana Client ID", M, keyed("asana", "[0-9]{16}"), &[]),
    Def::new("asana-client-secret", "Asana", "Asana Client Secret", M, keyed("asana", "[a-z0-9]{32}"), &[]),
    Def::new(
        "atlassian-api-token",
        "Atlassian",
        "Atlassian API token",
        H,
        keyed("atlassian", "[a-z0-9]{24}"),
        &[],
    ),
    Def::new("bitbucket-client-id", "Bitbucket", "Bitbucket client ID", H, keyed("bitbucket", "[a-z0-9]{32}"), &[]),
    Def::new(
        "bitbucket-client-secret",
        "Bitbucket",
        "Bitbucket client secret",
        H,
        keyed("bitbucket", r"[a-z0-9_\-]{64}"),
        &[],
    ),
    Def::new("beamer-api-token", "Beamer", "Beamer API token", L, keyed("beamer", r"b_[a-z0-9=_\-]{44}"), &[]),
    Def::new(
        "clojars-api-token",
        "Clojars",
        "Clojars API token",
        M,
        raw(r"CLOJARS_[A-Za-z0-9]{60}"),
        &["CLOJARS_"],
    ),
    Def::new(
        "contentful-delivery-api-token",
        "ContentfulDelivery",
        "Contentful delivery API token",
        L,
        keyed("contentful", r"[a-z0-9=_\-]{43}"),
        &[],
    ),
    // Databricks personal access tokens: dapi + 32 hex, optionally -<digit>.
    Def::new(
        "databricks-api-token",
        "Databricks",
        "Databricks API token",
        M,
        raw(r"\b(?P<secret>dapi[0-9a-f]{32}(?:-[0-9])?)"),
        &["dapi"],
    ),
    Def::new("discord-api-token", "Discord", "Discord API key", M, keyed("discord", "[a-f0-9]{64}"), &[]),
    Def::new("discord-client-id", "Discord", "Discord client ID", M, keyed("discord", "[0-9]{18}"), &[]),
    Def::new(
        "discord-client-secret",
        "Discord",
        "Discord client secret",
        M,
        keyed("discord", r"[a-z0-9=_\-]{32}"),
        &[],
    ),
    // Doppler tokens: dp.<type>. + 40-odd alphanumerics (pt personal, st service, ct CLI, sa
    // service account, scim, audit).
    Def::new(
        "doppler-api-token",
        "Doppler",
        "Doppler API token",
        M,
        raw(r"\b(?P<secret>dp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44})"),
        &["dp.pt.", "dp.st.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit."],
    ),
    Def::new("dropbox-api-secret", "Dropbox", "Dropbox API secret/key", H, keyed("dropbox", "[a-z0-9]{15}"), &[]),
    Def::new(
        "dropbox-short-lived-api-token",
        "Dropbox",
        "Dropbox short lived API token",
        H,
        keyed("dropbox", r"sl\.[a-z0-9=_\-]{130,160}"),
        &[],
    ),
    Def::new(
        "dropbox-long-lived-api-token",
        "Dropbox",
        "Dropbox long lived API token",
        H,
        keyed("dropbox", r"[a-z0-9]{11}AAAAAAAAAA[a-z0-9=_\-]{43}"),
        &[],
    ),
    Def::new(
        "duffel-api-token",
        "Duffel",
        "Duffel API token",
        L,
        raw(r"duffel_(?:test|live)_[A-Za-z0-9_\-]{43}"),
        &["duffel_test_", "duffel_live_"],
    ),
    // Dynatrace: dt0c01.<24-character public part>.<64-character secret part>.
    Def::new(
        "dynatrace-api-token",
        "Dynatrace",
        "Dynatrace API token",
        M,
        raw(r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}"),
        &["dt0c01."],
    ),
    // EasyPost: EZAK (production) / EZTK (test) + 54 alphanumerics.
    Def::new(
        "easypost-api-token",
        "Easypost",
        "EasyPost API token",
        L,
        raw(r"EZ[AT]K[A-Za-z0-9]{54}"),
        &["EZAK", "EZTK"],
    ),
    Def::new("fastly-api-token", "Fastly", "Fastly API token", M, keyed("fastly", r"[a-z0-9=_\-]{32}"), &[]),
    Def::new(
        "finicity-client-secret",
        "Finicity",
        "Finicity client secret",
        M,
        keyed("finicity", "[a-z0-9]{20}"),
        &[],
    ),
    Def::new("finicity-api-token", "Finicity", "Finicity API token", M, keyed("finicity", "[a-f0-9]{32}"), &[]),
    // Flutterwave: FLWPUBK/FLWSECK, _TEST for test mode, - 32 hex -X.
    Def::new(
        "flutterwave-public-key",
        "Flutterwave",
        "Flutterwave public/secret key",
        M,
        raw(r"FLW(?:PUB|SEC)K(?:_TEST)?-[0-9a-fA-F]{32}-X"),
        &["FLWPUBK", "FLWSECK"],
    ),
    Def::new(
        "flutterwave-enc-key",
        "Flutterwave",
        "Flutterwave encrypted key",
        M,
        raw(r"FLWSECK_TEST[0-9a-fA-F]{12}"),
        &["FLWSECK_TEST"],
    ),
    Def::new(
        "frameio-api-token",
        "Frameio",
        "Frame.io API token",
        L,
        raw(r"fio-u-[A-Za-z0-9_=\-]{64}"),
        &["fio-u-"],
    ),
    // GoCardless live access tokens: live_ + 40 characters; quoted, because `live_` alone is
    // too common a word piece.
    Def::new(
        "gocardless-api-token",
        "GoCardless",
        "GoCardless API token",
        M,
        raw(r#"["'](?P<secret>live_[A-Za-z0-9_=\-]{40})["']"#),
        &["live_"],
    ),
    // Grafana API keys: base64 of {"k":"…","n":"…","id":N}, which starts eyJrIjoi.
    Def::new(
        "grafana-api-token",
        "Grafana",
        "Grafana API token",
        M,
        raw(r"eyJrIjoi[A-Za-z0-9_=+/\-]{60,}"),
        &["eyJrIjoi"],
    ),
    // Terraform Cloud / Enterprise: <14>.atlasv1.<60-70>.
    Def::new(
        "hashicorp-tf-api-token",
        "HashiCorp",
        "HashiCorp Terraform user/org API token",
        M,
        raw(r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,70}"),
        &["atlasv1."],
    ),
    Def::new("hubspot-api-token", "HubSpot", "HubSpot API token", L, keyed("hubspot", UUID), &[]),
    Def::new("intercom-api-token", "Intercom", "Intercom API token", L, keyed("intercom", "[a-z0-9=_]{60}"), &[]),
    Def::new("intercom-client-secret", "Intercom", "Intercom client secret/ID", L, keyed("intercom", UUID), &[]),
    Def::new("ionic-api-token", "Ionic", "Ionic API token", U, keyed("ionic", "ion_[a-z0-9]{42}"), &[]),
    // JWT (RFC 7519): base64url(header).base64url(payload).[signature]; header and payload are
    // JSON objects, so both start with "ey". A JWT inside a stateless ghs_ token is reported
    // once, by github-app-token.
    Def::new(
        "jwt-token",
        "JWT",
        "JWT token",
        M,
        raw(
            r"(?:ghs_[0-9]+_)?(?P<secret>ey[A-Za-z0-9_\-]{17,}\.ey[A-Za-z0-9_/\\\-]{17,}\.(?:[A-Za-z0-9_/\\+\-]{10,}={0,2})?)",
        ),
        &[".ey"],
    )
    .allow(&[("stateless-ghs-jwt", r"\Aghs_")]),
    Def::new(
        "linear-api-token",
        "Linear",
        "Linear API token",
        M,
        raw(r"lin_api_[A-Za-z0-9]{40}"),
        &["lin_api_"],
    ),
    Def::new("linear-client-secret", "Linear", "Linear client secret/ID", M, keyed("linear", "[a-f0-9]{32}"), &[]),
    Def::new("lob-api-key", "Lob", "Lob API Key", L, keyed("lob", "(?:live|test)_[a-f0-9]{35}"), &[]),
    Def::new(
        "lob-pub-api-key",
        "Lob",
        "Lob Publishable API Key",
        L,
        keyed("lob", "(?:test|live)_pub_[a-f0-9]{31}"),
        &[],
    ),
    // Mailchimp API keys: 32 hex, then -us<datacenter>.
    Def::new(
        "mailchimp-api-key",
        "Mailchimp",
        "Mailchimp API key",
        M,
        raw(r"\b(?P<secret>[0-9a-fA-F]{32}-us[0-9]{1,2})\b"),
        &["-us"],
    ),
    Def::new(
        "mailgun-token",
        "Mailgun",
        "Mailgun private API token",
        M,
        keyed("mailgun", "(?:pub)?key-[a-f0-9]{32}"),
        &[],
    ),
    Def::new(
        "mailgun-signing-key",
        "Mailgun",
        "Mailgun webhook signing key",
        M,
        keyed("mailgun", "[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8}"),
        &[],
    ),
    // Mapbox: pk. (public) / sk. (secret) + base64url payload + . + signature.
    Def::new(
        "mapbox-api-token",
        "Mapbox",
        "Mapbox API token",
        M,
        raw(r"\b(?P<secret>[ps]k\.[A-Za-z0-9_\-]{40,}\.[A-Za-z0-9_\-]{20,})"),
        &["pk.", "sk."],
    ),
    Def::new(
        "messagebird-api-token",
        "MessageBird",
        "MessageBird API token",
        M,
        keyed("messagebird", "[a-z0-9]{25}"),
        &[],
    ),
    Def::new(
        "messagebird-client-id",
        "MessageBird",
        "MessageBird API client ID",
        M,
        keyed("messagebird", UUID),
        &[],
    ),
    Def::new(
        "new-relic-user-api-key",
        "NewRelic",
        "New Relic user API Key",
        M,
        raw(r"NRAK-[A-Z0-9]{27}"),
        &["NRAK-"],
    ),
    Def::new(
        "new-relic-user-api-id",
        "NewRelic",
        "New Relic user API ID",
        M,
        keyed("newrelic", "[a-z0-9]{64}"),
        &[],
    ),
    Def::new(
        "new-relic-browser-api-token",
        "NewRelic",
        "New Relic ingest browser API token",
        M,
        raw(r"NRJS-[a-f0-9]{19}"),
        &["NRJS-"],
    ),
    // npm access tokens (granular and classic): npm_ + 36 base62 (30 random + CRC32).
    Def::new(
        "npm-access-token",
        "Npm",
        "npm access token",
        C,
        raw(r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b"),
        &["npm_"],
    ),
    Def::new(
        "planetscale-password",
        "Planetscale",
        "PlanetScale password",
        M,
        raw(r"pscale_pw_[A-Za-z0-9_.\-]{43}"),
        &["pscale_pw_"],
    ),
    Def::new(
        "planetscale-api-token",
        "Planetscale",
        "PlanetScale API token",
        M,
        raw(r"pscale_tkn_[A-Za-z0-9_.\-]{43}"),
        &["pscale_tkn_"],
    ),
    // Private Packagist: packagist_<3-letter type>_ + 68 hex.
    Def::new(
        "private-packagist-token",
        "Private Packagist",
        "Private Packagist token",
        H,
        raw(r"packagist_[a-z]{3}_[a-fA-F0-9]{68}"),
        &["packagist_"],
    ),
    Def::new(
        "postman-api-token",
        "Postman",
        "Postman API token",
        M,
        raw(r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}"),
        &["PMAK-"],
    ),
    Def::new(
        "pulumi-api-token",
        "Pulumi",
        "Pulumi API token",
        H,
        raw(r"\b(?P<secret>pul-[a-f0-9]{40})"),
        &["pul-"],
    ),
    Def::new(
        "rubygems-api-token",
        "RubyGems",
        "Rubygem API token",
        M,
        raw(r"rubygems_[a-f0-9]{48}"),
        &["rubygems_"],
    ),
    // SendGrid: SG.<22>.<43>.
    Def::new(
        "sendgrid-api-token",
        "SendGrid",
        "SendGrid API token",
        M,
        raw(r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"),
        &["SG."],
    ),
    Def::new(
        "sendinblue-api-token",
        "Sendinblue",
        "Sendinblue API token",
        L,
        raw(r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}"),
        &["xkeysib-"],
    ),
    Def::new(
        "shippo-api-token",
        "Shippo",
        "Shippo API token",
        L,
        raw(r"shippo_(?:live|test)_[a-f0-9]{40}"),
        &["shippo_live_", "shippo_test_"],
    ),
    Def::new(
        "linkedin-client-secret",
        "LinkedIn",
        "LinkedIn Client secret",
        L,
        keyed("linkedin", "[a-z]{16}"),
        &[],
    ),
    Def::new("linkedin-client-id", "LinkedIn", "LinkedIn Client ID", L, keyed("linkedin", "[a-z0-9]{14}"), &[]),
    Def::new("twitch-api-token", "Twitch", "Twitch API token", L, keyed("twitch", "[a-z0-9]{30}"), &[]),
    // Typeform personal tokens: tfp_ + 59 characters.
    Def::new(
        "typeform-api-token",
        "Typeform",
        "Typeform API token",
        L,
        raw(r"\b(?P<secret>tfp_[A-Za-z0-9_.=\-]{59})"),
        &["tfp_"],
    ),
    // Kubernetes docker-registry secrets: .dockerconfigjson / .dockercfg holding base64 JSON
    // ("{" encodes to "ey" or, followed by a newline, "ew").
    Def::new(
        "dockerconfig-secret",
        "Docker",
        "Dockerconfig secret exposed",
        H,
        raw(
            r#"(?i)\.docker(?:configjson|cfg)["']?\s*:\s*[|>]?[\-+]?\s*["']?(?P<secret>e[wy][a-z0-9+/=]{8,})"#,
        ),
        &["dockerc"],
    ),
    // The placeholder secrets Symfony and eZ Platform ship in their default .env.
    Def::new(
        "symfony-default-secret",
        "Symfony",
        "Symfony Default Secret",
        H,
        raw(r"ThisTokenIsNotSoSecretChangeIt|ThisEzPlatformTokenIsNotSoSecret_PleaseChangeIt"),
        &["TokenIsNotSoSecret"],
    ),
];
