"""Development tools that are not part of the installed package (not shipped in the wheel)."""
