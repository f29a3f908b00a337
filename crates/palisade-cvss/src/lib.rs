//! CVSS v3.x and v4.0 base scores and severity ratings, computed from vectors.
