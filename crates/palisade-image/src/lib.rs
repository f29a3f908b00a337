//! Reads container images from registries, OCI layouts and archives, streaming layers into a file tree.
