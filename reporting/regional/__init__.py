"""The regional 5W of R4V (DESIGN §6): its columns, its quality rules, the export and the upload
of R4V's own template."""
