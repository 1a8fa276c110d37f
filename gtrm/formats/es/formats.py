"""Spanish as written in Peru: Django's Spanish formats, with the separators of Peruvian usage.

Peru writes 25,290 and 1,540,000 (a comma between thousands) and USD 1,250.50 (a point before
the decimals), as the GTRM's situation reports do; Django's Spanish puts a space between
thousands, which a phone may break at the end of a line ("330 / 000"). A comma is never a line
break between digits, in a browser or in the PDF. English already writes numbers this way.
"""

from django.conf.locale.es.formats import *  # noqa: F403 (dates and the rest stay Spanish)

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
