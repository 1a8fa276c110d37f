"""The RMRP's requirement and funding for Peru from OCHA's Financial Tracking Service (FTS):
its public API or its CSV download on HDX (DESIGN §7)."""
