"""The regional 5W's template (DESIGN §6): its 29 columns in order and its sheet's name.

R4V's words, untranslated: the regional team reads every country's file with the same header.
"""

from __future__ import annotations

SHEET_NAME = "5W - RMRP 2025"

COUNTRY = "Country Country"
ADMIN1 = "Country Admin1"
ADMIN2 = "Admin2 Admin2"
APPEALING_ORGANISATION = "Appealing organisation Name"
IMPLEMENTATION_SET_UP = "Implementation Set up"
IMPLEMENTING_PARTNER = "Implementing partner Name"
MONTH = "Month"
SECTOR = "Indicator Sector"
INDICATOR = "Indicator Indicator"
ACTIVITY_NAME = "Activity Name"
ACTIVITY_DESCRIPTION = "Activity Description"
RMRP_ACTIVITY = "RMRP Activity"
CVA = "CVA"
VALUE_USD = "Value (in USD)"
DELIVERY_MECHANISM = "Delivery mechanism"
QUANTITY = "Quantity of output"
TOTAL_MONTHLY = "Total monthly beneficiaries"
NEW_BENEFICIARIES = "New beneficiaries of the month"
IN_DESTINATION = "Refugees and Migrants IN DESTINATION"
IN_TRANSIT = "Refugees and Migrants IN TRANSIT"
HOST_COMMUNITY = "Host Communities Beneficiaries"
PENDULAR = "Refugees and Migrants PENDULARS"
RETURNEES = "Colombian Returnees"
WOMEN_UNDER_18 = "Women under 18"
MEN_UNDER_18 = "Men under 18"
WOMEN_ABOVE_18 = "Women above 18"
MEN_ABOVE_18 = "Men above 18"
OTHER_UNDER_18 = "Other under 18"
OTHER_ABOVE_18 = "Other above 18"

HEADER: tuple[str, ...] = (
    COUNTRY, ADMIN1, ADMIN2, APPEALING_ORGANISATION, IMPLEMENTATION_SET_UP,
    IMPLEMENTING_PARTNER, MONTH, SECTOR, INDICATOR, ACTIVITY_NAME, ACTIVITY_DESCRIPTION,
    RMRP_ACTIVITY, CVA, VALUE_USD, DELIVERY_MECHANISM, QUANTITY, TOTAL_MONTHLY,
    NEW_BENEFICIARIES, IN_DESTINATION, IN_TRANSIT, HOST_COMMUNITY, PENDULAR, RETURNEES,
    WOMEN_UNDER_18, MEN_UNDER_18, WOMEN_ABOVE_18, MEN_ABOVE_18, OTHER_UNDER_18, OTHER_ABOVE_18,
)

# Our population types (PopulationType's values) by their column, in the template's order.
POPULATION_COLUMNS: dict[str, str] = {
    "destination": IN_DESTINATION,
    "transit": IN_TRANSIT,
    "host": HOST_COMMUNITY,
    "pendular": PENDULAR,
    "returnee": RETURNEES,
}

# Our six sex-and-age figures (SEX_AND_AGE_FIELDS) by their column.
SEX_AND_AGE_COLUMNS: dict[str, str] = {
    "girls": WOMEN_UNDER_18,
    "boys": MEN_UNDER_18,
    "women": WOMEN_ABOVE_18,
    "men": MEN_ABOVE_18,
    "other_under_18": OTHER_UNDER_18,
    "other_adults": OTHER_ABOVE_18,
}

# The line's fields the columns carry, so that a flag on a column can name the form's field.
FIELD_OF_COLUMN: dict[str, str] = {
    ADMIN1: "department",
    ADMIN2: "location",
    SECTOR: "indicator",
    INDICATOR: "indicator",
    ACTIVITY_NAME: "activity_name",
    RMRP_ACTIVITY: "rmrp_activity",
    CVA: "modality",
    VALUE_USD: "cash_usd",
    DELIVERY_MECHANISM: "delivery_mechanism",
    QUANTITY: "quantity",
    TOTAL_MONTHLY: "total_monthly",
    NEW_BENEFICIARIES: "new_beneficiaries",
    **{column: "population_type" for column in POPULATION_COLUMNS.values()},
    **{column: field for field, column in SEX_AND_AGE_COLUMNS.items()},
}
