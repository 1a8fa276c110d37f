"""The read API (/api/v1/, DESIGN §7): token authentication, the lines, published figures and
reference lists, as JSON or CSV, for Power BI, Excel and R."""
