"""Calibration database: calibration products with validity, versions and provenance.

The database stores each calibration product (an atmospheric profile, an extinction
table, a whole exchange manifest with its files, a 12-MACOBAC value, a reference-model
selection, muon throughput or PSF results) with its kind, its target (a site or a
telescope), its validity interval (UTC), a version, a status (``current`` or
``superseded``), the sha256 of its content, the provenance record of the step that
made it, and a stored copy of its files (bytes, each with its sha256).

Backends: an SQLite file (the default: embedded, zero set-up) or a PostgreSQL server
(``postgresql+psycopg://user@host/dbname``). The schema is created and upgraded by
Alembic (:func:`.engine.upgrade`), whose migration scripts ship in ``migrations/``.

Modules
-------
:mod:`.kinds`       the fixed set of product kinds, targets and UTC time parsing (stdlib only)
:mod:`.models`      SQLAlchemy 2 ORM models
:mod:`.engine`      URLs, engines (SQLite pragmas, PostgreSQL time-outs), migrations, errors
:mod:`.repository`  upload / query / export: the transactions
:mod:`.files`       reading product files from disk (manifests, ECSV meta, validity)
"""
