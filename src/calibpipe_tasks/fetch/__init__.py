"""Clients of the services that deliver the meteorological and CO2 inputs.

* :mod:`.window` - the UTC time window of a night to ask for (pure);
* :mod:`.era5` - ERA5 pressure-level requests for the Copernicus CDS (pure) and the
  ``cdsapi`` call;
* :mod:`.gdex` - NCAR GDEX (formerly RDA) subset requests for GDAS ds083.2 (pure) and
  the REST client;
* :mod:`.http` - retries with exponential back-off, error mapping to exit codes,
  streamed downloads and content checks shared by the clients.

The request-building functions are pure (no network, no files) so that tests check
them directly; the ``fetch-*`` steps only glue them to the clients.
"""
