"""The demo: July to September 2023 as the GTRM published it, and the synthetic data of the
benchmark. Never imported by the product's modules."""
