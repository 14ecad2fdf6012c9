"""``graphmetrics-carbon``: the carbon-protocol receiver's settings, wired to
:func:`graphmetrics.collect.carbon.run`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from graphmetrics import settings
from graphmetrics.collect.carbon import CarbonOptions, ListenError, run
from graphmetrics.collect.carbon_schemas import CarbonSchemas, SchemaConfigError
from graphmetrics.collect.checkpoint import CREATIONS_FILE
from graphmetrics.collect.instrumentation import KINESIS_GC, tune_gc
from graphmetrics.collect.settings import MetricsStorageSettings
from graphmetrics.rrd.held import HeldFileError

log = logging.getLogger("graphmetrics.carbon")

DESCRIPTION = """\
Receive metrics in carbon's protocols, as graphite's carbon-cache does: plaintext
lines "name value [timestamp]" over TCP (and UDP), and pickled lists of
(name, (timestamp, value)) over TCP; write them to RRD files
<rrd-dir>/carbon/<name with dots as folders>.rrd, which the Graphite API serves
under the same dotted name. New files get their layout from storage-schemas.conf
and storage-aggregation.conf (carbon's own files) when given. SIGTERM or SIGINT:
stop listening, read what open connections hold, write, verify and exit 0."""


def parse_port(text: str) -> int | None:
    """A TCP/UDP port; ``off`` or empty: not listened on; 0: any free port."""
    value = text.strip().lower()
    if value in ("", "off", "none", "no"):
        return None
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"not a port: {text!r}")
    return port


@dataclass(frozen=True)
class CarbonSettings(MetricsStorageSettings):
    carbon_listen: str = settings.option(
        "127.0.0.1", "address the receivers listen on (0.0.0.0: every interface)", metavar="ADDR"
    )
    carbon_line_port: int | None = settings.option(
        2003, "plaintext protocol over TCP (off: not listened on)", parse=parse_port, metavar="PORT"
    )
    carbon_pickle_port: int | None = settings.option(
        2004, "pickle protocol over TCP (off: not listened on)", parse=parse_port, metavar="PORT"
    )
    carbon_udp_port: int | None = settings.option(
        None, "plaintext protocol over UDP (default: off)", parse=parse_port, metavar="PORT"
    )
    carbon_schemas: Path | None = settings.option(
        None,
        "carbon's storage-schemas.conf: retentions of new files by name pattern "
        "(default for every name: 60s:2d,5m:30d,1h:2y)",
        parse=settings.parse_optional_path,
        metavar="FILE",
    )
    carbon_aggregation: Path | None = settings.option(
        None,
        "carbon's storage-aggregation.conf: consolidation and xFilesFactor of new "
        "files by name pattern (default: average, 0.5)",
        parse=settings.parse_optional_path,
        metavar="FILE",
    )
    carbon_max_line: int = settings.option(
        64 * 1024,
        "longest plaintext line in bytes; longer ones are skipped, counted line_too_long",
        parse=settings.positive_int,
        metavar="BYTES",
    )
    carbon_max_pickle: int = settings.option(
        1024 * 1024,
        "largest pickle message in bytes; a larger one closes its connection",
        parse=settings.positive_int,
        metavar="BYTES",
    )
    write_interval: float = settings.option(
        1.0,
        "write (and through rrdcached flush and verify) what was received at least this "
        "often, in seconds",
        parse=settings.positive_float,
        metavar="S",
    )
    status_interval: float = settings.option(
        60.0, "seconds between status lines", parse=settings.positive_float, metavar="S"
    )
    carbon_state_dir: Path | None = settings.option(
        None,
        "where the creation budget's journal and the samples held for files that may not "
        "be created yet are kept across restarts (default RRD_DIR/.state/carbon)",
        parse=settings.parse_optional_path,
        metavar="DIR",
    )

    def options(self, schemas: CarbonSchemas) -> CarbonOptions:
        state_dir = self.carbon_state_dir or self.rrd_dir / ".state" / "carbon"
        return CarbonOptions(
            rrd_dir=self.rrd_dir,
            rrdcached=self.rrdcached,
            limits=self.create_limits(journal=state_dir / CREATIONS_FILE),
            state_dir=state_dir,
            schemas=schemas,
            listen=self.carbon_listen,
            line_port=self.carbon_line_port,
            pickle_port=self.carbon_pickle_port,
            udp_port=self.carbon_udp_port,
            max_line=self.carbon_max_line,
            max_pickle=self.carbon_max_pickle,
            write_interval=self.write_interval,
            status_interval=self.status_interval,
        )


def main(argv: Sequence[str] | None = None) -> int:
    config = settings.from_command_line(
        CarbonSettings, argv, prog="graphmetrics-carbon", description=DESCRIPTION
    )
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    tune_gc(KINESIS_GC)
    try:
        schemas = CarbonSchemas.load(config.carbon_schemas, config.carbon_aggregation)
    except SchemaConfigError as exc:
        log.error("%s", exc)
        return 2
    try:
        saved = run(config.options(schemas))
    except (ListenError, HeldFileError) as exc:
        log.error("%s", exc)
        return 2
    return 0 if saved else 1


if __name__ == "__main__":
    sys.exit(main())
