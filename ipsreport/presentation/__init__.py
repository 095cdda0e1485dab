"""The presentation layer: what the briefs' cells call to turn results into Danish text,
tables and charts.

:mod:`danish` formats numbers, money and dates on Babel's ``da_DK`` locale; :mod:`charts`
draws the house-style figures and words what they show; :mod:`brief` holds the cell
helpers (the data in force, which remembers the sources a brief read, safe text, tables,
the "Kilder" section); :mod:`citations` cites sources in Danish style; :mod:`parameters`
the briefs' parameter models; :mod:`labels` the Danish names of what the analyses compute;
:mod:`claims` holds every figure the seed documents state against its check and words the
verdicts.
"""
