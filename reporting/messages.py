"""User-facing error messages, kept as constants so that tests can assert the exact text."""

from django.utils.translation import gettext_lazy as _

# Activity line rules
DISAGGREGATION_MISMATCH = _(
    "New beneficiaries (%(new)s) must equal girls + boys + women + men + other (%(sum)s)."
)
TOTAL_BELOW_NEW = _(
    "Total monthly beneficiaries (%(total)s) cannot be less than new beneficiaries (%(new)s)."
)
NOTHING_REACHED = _("Enter the people reached in the month: this indicator counts people.")
INDICATOR_OUTSIDE_SECTOR = _(
    "Indicator %(indicator)s belongs to %(indicator_sector)s, not to this report's sector "
    "(%(sector)s) or its sub-sectors."
)
INDICATOR_INACTIVE = _("Indicator %(indicator)s is no longer in use; choose a current one.")
CASH_WITHOUT_CASH_MODALITY = _(
    "Cash USD is only for cash or voucher modality; this line's modality is %(modality)s."
)
CASH_REQUIRED = _("Enter the amount transferred in USD for a cash or voucher line.")
QUANTITY_REQUIRED = _("Enter the quantity: indicator %(indicator)s is counted in %(unit)s.")
QUANTITY_NOT_APPLICABLE = _(
    "Leave quantity empty: indicator %(indicator)s counts people, entered as beneficiaries."
)
NOT_A_DEPARTMENT = _("%(location)s is not a department.")
LOCATION_OUTSIDE_DEPARTMENT = _("%(location)s is not in the department of %(department)s.")
PROVINCE_OUTSIDE_DEPARTMENT = _("Province %(province)s is not in the department of %(department)s.")
DISTRICT_OUTSIDE_PROVINCE = _("District %(district)s is not in the province of %(province)s.")
DUPLICATE_LINE = _(
    "This report already has a line with the same indicator, location, population type, "
    "modality and implementing partner (line %(line)s). Edit that line instead."
)
NEGATIVE_VALUE = _("Enter a number of zero or more.")
IMPLAUSIBLE = _("Enter %(limit_value)s or less: a larger figure for one line is surely a typing error.")
ORGANISATION_INACTIVE = _("%(organisation)s is no longer an active partner; ask the IM team.")
SECTOR_INACTIVE = _("%(sector)s is no longer an active sector; ask the IM team.")

# Report workflow
REPORT_NOT_EDITABLE = _(
    "This report is %(status)s; its lines can only change while it is a draft, returned or reopened."
)
PERIOD_LOCKED = _("The period %(period)s is locked: nothing in it can change until it is unlocked.")
NOT_YOUR_ORGANISATION = _("Only %(organisation)s's reporters may change this report.")
NOT_A_REVIEWER = _("Only the coordinators of %(sector)s or an IM officer may review this report.")
ONLY_IM = _("Only an IM officer may do this.")
REASON_REQUIRED = _("Give a reason: the partner will read it.")
TRANSITION_NOT_ALLOWED = _("You cannot %(action)s a report that is %(status)s.")
RACE_LOST = _(
    "This report changed while you were looking at it (it is now %(status)s); "
    "reload the page and try again."
)
EMPTY_SUBMISSION = _(
    "Add at least one activity line, or declare that there were no activities this month."
)
NIL_WITH_LINES = _(
    "This report has activity lines; delete them before declaring no activities this month."
)
PERIOD_ALREADY = _("The period %(period)s is already %(state)s.")
SECTOR_NOT_TOP_LEVEL = _("Reports are made per sector; %(sector)s is a sub-sector of %(parent)s.")
