//! Scan reports: the stable JSON schema and the terminal table.
