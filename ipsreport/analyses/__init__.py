"""The analyses layer: pure functions from source figures (and a brief's parameters) to
results.

Each module holds one body of evidence: :mod:`trial` (Projekt Inklusion),
:mod:`health_economics`, :mod:`som` (the SØM investment model), :mod:`budget`
(Copenhagen's proposal) and :mod:`practice` (caseload and fidelity). No I/O and no text for
readers here: results are dataclasses and DataFrames that the presentation layer words in
Danish.
"""
