//! OSV ingestion and Palisade's single-file advisory database.
