//! Version schemes: exact dpkg ordering today, one trait for every ecosystem later.
