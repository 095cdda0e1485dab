"""The presentation layer: what the briefs' cells call to turn results into Danish text,
tables and charts.

:mod:`danish` formats numbers, money and dates on Babel's ``da_DK`` locale; :mod:`charts`
draws the house-style figures; :mod:`brief` holds the cell helpers (the data in force, safe
text, tables); :mod:`parameters` the briefs' parameter models; :mod:`labels` the Danish
names of what the analyses compute; :mod:`claims` holds every figure the seed documents
state against its recomputation and words the verdicts.
"""
