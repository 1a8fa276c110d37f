"""User-facing error messages, kept as constants so that tests can assert the exact text."""

from django.utils.translation import gettext_lazy as _

# Activity line rules
DISAGGREGATION_MISMATCH = _(
    "New beneficiaries (%(new)s) must equal girls + boys + women + men + other (%(sum)s)."
)
NOT_YES_OR_NO = _("Write yes or no, not “%(value)s”.")
OTHER_NEEDS_AN_AGE = _(
    "The single “Other” column has no age: write these people under “Other under 18” or "
    "“Other 18+” instead, and leave “Other” empty."
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
MODALITY_NOT_ALLOWED = _(
    "Indicator %(indicator)s is not delivered as %(modality)s; its modalities are: "
    "%(allowed)s."
)
MODALITIES_IN_USE = _(
    "Lines already reported under this indicator use %(modalities)s; keep it allowed (or "
    "correct those lines first)."
)
MODALITIES_UNKNOWN = _("Unknown modality in “%(values)s”; the modalities are %(allowed)s.")
CASH_WITHOUT_CASH_MODALITY = _(
    "Cash USD is only for cash or voucher modality; this line's modality is %(modality)s."
)
CASH_REQUIRED = _("Enter the amount transferred in USD for a cash or voucher line.")
MECHANISM_REQUIRED = _("Choose the delivery mechanism: how the cash reached the people.")
MECHANISM_NOT_APPLICABLE = _(
    "Leave the delivery mechanism empty: it is only for cash and voucher lines, and this "
    "line's modality is %(modality)s."
)
MECHANISM_OF_VOUCHER = _("The delivery mechanism of a voucher line is Voucher.")
NOT_A_MECHANISM = _(
    "“%(value)s” is not a delivery mechanism: write bank_account, mobile_money, prepaid_card, "
    "otc, cash_in_hand, cardless_atm, voucher or other (or R4V's name for it)."
)
ACTIVITY_NAME_TOO_LONG = _(
    "An activity name holds %(limit)s characters at most; this one has %(length)s: shorten it "
    "and put the rest in the description."
)
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
# A transition refused because someone moved the report first; %(done)s reads after a name
# ("Ana approved", ReviewEvent.Action), %(action)s is an infinitive (workflow.ACTION_VERBS).
REPORT_CHANGED_BY = _(
    "This report changed while you were looking at it: %(who)s %(done)s on %(day)s at "
    "%(time)s, so it is now %(status)s and you cannot %(action)s it. Nothing was changed; "
    "reload the page to see it as it is."
)
REPORT_CHANGED_BY_YOU = _(
    "You have already acted on this report, perhaps in another tab: you %(done)s on %(day)s "
    "at %(time)s, so it is now %(status)s and you cannot %(action)s it. Nothing more was "
    "changed."
)
EMPTY_SUBMISSION = _(
    "Add at least one activity line, or declare that there were no activities this month."
)
NIL_WITH_LINES = _(
    "This report has activity lines; delete them before declaring no activities this month."
)
PERIOD_ALREADY = _("The period %(period)s is already %(state)s.")
SECTOR_NOT_TOP_LEVEL = _("Reports are made per sector; %(sector)s is a sub-sector of %(parent)s.")

# Activity uploads: checking the rows (reporting/sheets/planner.py). A value is quoted as it was
# written, so the person can find it in their file.
UPLOAD_NOT_ALLOWED = _("Only partner reporters and IM officers may upload activities.")
UPLOAD_NO_LINES = _("The file has no activity lines: fill in at least one row under the headers.")
UPLOAD_CHANGED_MEANWHILE = _(
    "Someone changed these reports while the file was being saved; nothing was saved. "
    "Upload the file again."
)
VALUE_REQUIRED = _("Empty: this column is required.")
MONTH_IS_A_DATE = _("Write the month as YYYY-MM (2023-09), not a date.")
MONTH_FORMAT = _("“%(value)s” is not a month: write it as YYYY-MM (2023-09).")
NOT_A_WHOLE_NUMBER = _("“%(value)s” is not a whole number: write people and quantities as 12.")
THOUSANDS_SEPARATOR = _(
    "“%(value)s”: write numbers without a thousands separator (1200, not 1,200 or 1.200)."
)
NOT_AN_AMOUNT = _("“%(value)s” is not an amount in USD: write it as 1250.50.")
AMOUNT_AMBIGUOUS = _(
    "“%(value)s” can be read two ways: write the amount without a thousands separator and "
    "with at most two decimals (1250 or 1250.50)."
)
AMOUNT_DECIMALS = _("“%(value)s” has more than two decimals: round it to cents.")
AMOUNT_TOO_LARGE = _("“%(value)s” is too large for one line: check the amount.")
UNKNOWN_ORGANISATION = _("“%(value)s” is not an organisation of the GTRM (acronym or name).")
AMBIGUOUS_ORGANISATION = _(
    "“%(value)s” could be %(candidates)s: write the acronym."
)
NOT_YOUR_ORGANISATION_ROW = _(
    "This row is for %(organisation)s; you may upload only the activities of %(own)s."
)
UNKNOWN_SECTOR = _("“%(value)s” is not a sector (code, Spanish or English name).")
UNKNOWN_INDICATOR = _("“%(value)s” is not an indicator (code, Spanish or English name).")
AMBIGUOUS_VALUE = _("“%(value)s” could be %(candidates)s: write the code.")
UNKNOWN_DEPARTMENT = _("“%(value)s” is not a department of Peru (ubigeo, P-code or name).")
UNKNOWN_PROVINCE = _(
    "“%(value)s” is not a province of %(department)s (ubigeo, P-code or name)."
)
UNKNOWN_DISTRICT = _("“%(value)s” is not a district of %(place)s (ubigeo or name).")
WRONG_LEVEL = _("“%(value)s” is %(place)s, a %(level)s; this column takes a %(expected)s.")
UNKNOWN_POPULATION_TYPE = _("“%(value)s” is not a population type: write one of %(choices)s.")
UNKNOWN_MODALITY = _("“%(value)s” is not a modality: write one of %(choices)s.")
DID_YOU_MEAN = _("Did you mean %(suggestions)s?")
TOTAL_REQUIRED = _(
    "Enter the total monthly beneficiaries: indicator %(indicator)s counts people."
)
DUPLICATE_ROW = _(
    "Row %(row)s already has this indicator, place, population type, modality and "
    "implementing partner for the same report: merge the two rows."
)
PERIOD_MISSING = _(
    "There is no reporting period for %(month)s yet: ask the IM team to open it."
)
REPORT_SUBMITTED_ROW = _(
    "The %(sector)s report of %(organisation)s for %(month)s is submitted: withdraw it first, "
    "or ask the coordinator to return it."
)
REPORT_APPROVED_ROW = _(
    "The %(sector)s report of %(organisation)s for %(month)s is approved: ask an IM officer "
    "to reopen it first."
)
PERIOD_LOCKED_ROW = _(
    "The period %(month)s is locked: nothing in it can change until an IM officer unlocks it."
)
ERROR_AT_CELL = _("Row %(row)s, %(column)s: %(message)s")
ERROR_AT_ROW = _("Row %(row)s: %(message)s")
IMPORT_SUMMARY = _("Spreadsheet upload: %(added)s lines replaced %(removed)s")
LOADED_AS_HISTORIC = _("Loaded from %(file)s as historic, already validated data.")

# Uploaded files (reporting.sheets.reading): the file as a whole, before any row is judged
FILE_TOO_LARGE = _("The file is %(size)s; the limit is %(limit)s.")
FILE_EMPTY = _("The file is empty.")
FILE_NOT_A_SPREADSHEET = _("The file is not a spreadsheet we can read: upload .xlsx or .csv.")
FILE_PASSWORD_PROTECTED = _(
    "The workbook is protected with a password: remove the password and upload again."
)
FILE_OLD_XLS = _("The file is an old .xls workbook: save it as .xlsx or CSV and upload again.")
FILE_ODS = _(
    "The file is an OpenDocument spreadsheet (.ods): save it as .xlsx or CSV and upload again."
)
FILE_XLSB = _(
    "The file is a binary Excel workbook (.xlsb): save it as .xlsx or CSV and upload again."
)
FILE_DAMAGED = _(
    "The workbook is damaged and cannot be read: open it in Excel or LibreOffice, "
    "save it again as .xlsx and upload again."
)
XLSX_TOO_MANY_PARTS = _(
    "The workbook is made of %(count)s parts, more than the %(limit)s any activity sheet needs: "
    "it cannot be read safely."
)
XLSX_UNPACKS_TOO_LARGE = _(
    "The workbook unpacks to %(size)s, over the limit of %(limit)s: remove other sheets, "
    "pictures or formatting, or upload a CSV."
)
XLSX_COMPRESSION_SUSPICIOUS = _(
    "The workbook's part %(part)s is compressed more than %(limit)s times, as no real "
    "spreadsheet is: it cannot be read safely."
)
XLSX_TOO_MANY_CELLS = _(
    "The workbook is far larger than an activity file can be: %(sheet)s holds about "
    "%(cells)s cells (%(total_cells)s in the whole workbook), where %(max_rows)s rows of the "
    "template's %(columns)s columns are %(needed)s. Formatted empty cells count too: delete the "
    "sheets, rows and columns you do not use, or copy the activities into a new template, and "
    "upload it again."
)
XLSX_TOO_MANY_SHEET_ROWS = _(
    "The workbook is far larger than an activity file can be: %(sheet)s has about %(rows)s "
    "rows (%(total_rows)s in the whole workbook), where an upload takes at most %(max_rows)s. "
    "Formatted empty rows count too: delete the rows below your activities, or copy the "
    "activities into a new template, and upload it again."
)
MERGED_CELLS = _("Merged cells (%(ranges)s) cannot be read row by row: unmerge them.")
CSV_ENCODING_UNKNOWN = _(
    "The CSV file is neither UTF-8 nor Windows-1252 text: save it from Excel as "
    "“CSV UTF-8” and upload again."
)
CSV_UNREADABLE = _(
    "Line %(line)s of the CSV file cannot be read: check its quotes, or save the file again "
    "from Excel."
)
HEADER_ROW_EMPTY = _("Row 1 is empty: the first row must hold the template's column headers.")
HEADERS_NOT_FOUND = _(
    "The first row must hold the template's column headers (%(example)s, …); "
    "none of them was found."
)
COLUMNS_MISSING = _("Columns missing from the file: %(columns)s.")
COLUMN_UNKNOWN = _("Column %(letter)s, “%(header)s”, is not one of the template's.")
COLUMN_UNKNOWN_SUGGESTION = _(
    "Column %(letter)s, “%(header)s”, is not one of the template's; "
    "did you mean “%(suggestion)s”?"
)
COLUMN_REPEATED = _("The column “%(header)s” appears more than once: columns %(letters)s.")
COLUMN_WITHOUT_HEADER = _(
    "Column %(letter)s has a value in row %(row)s but no header: give the column one of the "
    "template's headers, or clear it."
)
NO_ROWS = _("The file has headers but no activity rows.")
TOO_MANY_ROWS = _("The file has more than %(limit)s activity rows: split it into smaller files.")
