"""graphmetrics: tracelog and metrics collectors writing RRD files, and a web app to graph them."""
