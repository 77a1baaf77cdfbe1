"""Raw sources → tidy DataFrames.  Readers only read, rename and check columns.

``base`` holds the checked readers (CSV, Excel through python-calamine) and the per-file
read report used for provenance; one module per theme turns tidy frames into indicators.
"""
