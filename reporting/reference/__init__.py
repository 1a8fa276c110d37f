"""Reference data (organisations, sectors, indicators, places): its files and how they load."""
