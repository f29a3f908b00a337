//! Finds the operating system and installed packages in an image's file tree.
