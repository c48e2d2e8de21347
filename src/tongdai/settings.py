"""Every setting of tongdai, read from `TONGDAI_*` environment variables in this one place and checked
at start; a bad value is refused with a message that names its variable. `docs/operations.md` lists
them in one table, which a test compares with the fields below."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "TONGDAI_"


class SettingsError(ValueError):
    """A setting has a value tongdai cannot use; the message names the variable."""


def _address(value: str, default_port: int) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = value, str(default_port)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port with a port from 1 to 65535")
    return (host or "127.0.0.1"), int(port)


class Settings(BaseSettings):
    """tongdai's settings. Each field's description is its row in docs/operations.md."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Field(Path("var"), description="where the SQLite file, demo keys, rtpengine's files and "
                                                    "recordings live")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default `sqlite:///$TONGDAI_DATA_DIR/"
                                                       "tongdai.db`; `postgresql://user@host/db` works (psycopg 3)")
    http_addr: str = Field("127.0.0.1:8080", description="HTTP bind address (`host:port`)")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "info", description="uvicorn's log level (tongdai's own messages are logged at info)")
    log_format: Literal["text", "json"] = Field("text", description="`json`: one JSON object a line (with "
                                                "`call_id`, `tenant_id`, `agent_id`, `request_id` fields) for "
                                                "tongdai's and uvicorn's lines; `text` for a terminal")
    sip: Literal["on", "off"] = Field("on", description="`off` runs the HTTP API alone (no SIP, no rtpengine)")
    sip_addr: str = Field("127.0.0.1:5060", description="SIP bind address (UDP, `host:port`)")
    sip_trace: bool = Field(False, description="`1` logs every SIP message to stderr (costs CPU)")
    rtpengine: str = Field("spawn", description="`spawn`: tongdai starts its own rtpengine; `host:port`: use "
                                                "the ng port of an rtpengine that runs as its own service")
    rtpengine_ng: str = Field("127.0.0.1:22223", description="ng control address of the spawned rtpengine")
    rtp_ports: str = Field("30000-39999", description="RTP port range of the spawned rtpengine (`low-high`)")
    config_poll_seconds: float = Field(1.0, gt=0, le=60, description="how often the running switch looks for "
                                                                     "configuration changed by another process")
    shutdown_grace_seconds: float = Field(5.0, ge=0, le=600, description="on SIGTERM or Ctrl-C, calls up may end "
                                                                         "by themselves this long before tongdai "
                                                                         "hangs them up")
    spool_dir: Path | None = Field(None, description="where writes the database refused wait to be replayed "
                                   "(default `$TONGDAI_DATA_DIR/spool`; best on another disk than the database)")
    write_batch_ms: int = Field(250, ge=0, le=5000, description="how long the call log's and agents' states' "
                                "writers let rows pile up between transactions: under load a few large "
                                "transactions cost far less CPU than one per event; rows reach the database up to "
                                "this much later (0: each at once)")
    spool_max_mb: int = Field(256, ge=1, description="the most the spool may hold on disk, in MiB, per writer")
    webhook_allowed_networks: str = Field("", description="comma-separated networks (CIDR) webhooks may reach "
                                          "although they are loopback, private or link-local (on-premises receivers); "
                                          "none by default")
    widget_embed_origins: str = Field("", description="comma-separated origins (`https://crm.example.com`) whose pages "
                                      "may frame the call widget and hear its call events; the portal's own only "
                                      "by default")
    sip_rate_per_source: int = Field(200, ge=0, description="SIP datagrams one source address may send per second, "
                                     "in bursts of twice that, before the rest are dropped unread (trunks' "
                                     "addresses are exempt; 0: no limit)")
    trunk_check_seconds: float = Field(30.0, ge=0, description="how often each trunk is sent an OPTIONS; no answer "
                                       "within 5 s marks it down and its calls are refused as `carrier_unreachable` "
                                       "(0: never)")
    session_expires_seconds: int = Field(1800, ge=0, description="RFC 4028 session timer on carriers' legs: tongdai "
                                         "sends an UPDATE every half of it, and ends a call whose carrier answers "
                                         "481 or nothing (0: off)")
    recording_retention_days: float = Field(90, ge=0, description="how long a recording is kept, for tenants that "
                                            "set no retention of their own (checked hourly; 0: kept forever); raw "
                                            "pcaps left in rtpengine's directory are deleted after as long; "
                                            "rtpengine's log is rotated past 50 MiB")
    recordings_dir: Path | None = Field(None, description="where recording files are stored (default: "
                                        "`recordings/` in the data directory)")
    recording_pcap_dir: Path | None = Field(None, description="where rtpengine writes its pcaps (`pcaps/`, "
                                            "`metadata/` under it; default: the spawned rtpengine's); point it at "
                                            "a shared directory when rtpengine runs on another host")
    metrics_token: str = Field("", description="`/metrics` (Prometheus) answers requests carrying "
                               "`Authorization: Bearer <this>`; empty: only requests from this host (loopback)")
    demo_carrier: Literal["auto", "off"] = Field("auto", description="`auto`: when the demo tenant is loaded, "
                                                 "`serve` runs a test carrier where the demo trunk points (it "
                                                 "answers calls with a tone; `tongdai demo call-in` rings the demo "
                                                 "hotline)")
    demo_carrier_addr: str = Field("127.0.0.1:5070", description="where `tongdai demo` points the demo trunk "
                                   "(`host:port`), and so where the demo carrier listens")
    keep_pcaps: bool = Field(False, description="keep rtpengine's raw pcap once its MP3 is made and verified")
    dtmf_addr: str = Field("", description="where rtpengine reports the keys callers press (`host:port`, loopback); "
                                "empty: a free port on the ng host, given to the spawned rtpengine; set it (and "
                                "rtpengine's `--dtmf-log-dest`) when rtpengine runs as its own service")
    max_calls_per_agent: int = Field(4, ge=0, description="outbound calls one agent may have up at once (0: no cap)")
    max_calls_per_tenant: int = Field(200, ge=0, description="outbound calls one tenant may have up at once "
                                                             "(0: no cap)")
    max_calls_per_trunk: int = Field(300, ge=0, description="outbound calls one trunk may carry at once (0: no cap)")
    max_call_rate_per_agent: int = Field(30, ge=0, description="outbound calls one agent may start per minute "
                                                               "(0: no cap)")
    max_call_rate_per_tenant: int = Field(1200, ge=0, description="outbound calls one tenant may start per minute "
                                                                  "(0: no cap)")
    max_call_rate_per_trunk: int = Field(3000, ge=0, description="outbound calls one trunk may start per minute "
                                                                 "(0: no cap)")

    @field_validator("http_addr", "sip_addr", "rtpengine_ng", "demo_carrier_addr")
    @classmethod
    def _is_address(cls, value: str) -> str:
        _address(value, 1)
        return value

    @field_validator("rtpengine")
    @classmethod
    def _spawn_or_address(cls, value: str) -> str:
        if value != "spawn":
            _address(value, 2223)
        return value

    @field_validator("rtp_ports")
    @classmethod
    def _port_range(cls, value: str) -> str:
        low, sep, high = value.partition("-")
        if not (sep and low.isdigit() and high.isdigit() and 1024 <= int(low) < int(high) < 65536):
            raise ValueError(f"{value!r} is not a range low-high within 1024-65535")
        return value

    @field_validator("widget_embed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            scheme, sep, rest = part.partition("://")
            if scheme not in ("http", "https") or not sep or not rest or "/" in rest or " " in rest:
                raise ValueError(f"{part!r} is not an origin such as https://crm.example.com")
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not a network such as 10.0.0.0/8") from None
        return value

    # -- derived values ---------------------------------------------------------------------------

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'tongdai.db'}"

    @property
    def webhook_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(p.strip(), strict=False)
                     for p in self.webhook_allowed_networks.split(",") if p.strip())

    @property
    def embed_origins(self) -> tuple[str, ...]:
        return tuple(p.strip().rstrip("/") for p in self.widget_embed_origins.split(",") if p.strip())

    @property
    def dtmf_address(self) -> tuple[str, int] | None:
        return _address(self.dtmf_addr, 0) if self.dtmf_addr else None

    @property
    def spool(self) -> Path:
        return self.spool_dir or self.data_dir / "spool"

    @property
    def http(self) -> tuple[str, int]:
        return _address(self.http_addr, 8080)

    @property
    def sip_address(self) -> tuple[str, int]:
        return _address(self.sip_addr, 5060)

    @property
    def demo_carrier_address(self) -> tuple[str, int]:
        return _address(self.demo_carrier_addr, 5070)

    @property
    def spawn_rtpengine(self) -> bool:
        return self.rtpengine == "spawn"

    @property
    def ng_address(self) -> tuple[str, int]:
        return _address(self.rtpengine_ng, 22223) if self.spawn_rtpengine else _address(self.rtpengine, 2223)

    @property
    def rtp_range(self) -> tuple[int, int]:
        low, _, high = self.rtp_ports.partition("-")
        return int(low), int(high)


def variables() -> dict[str, tuple[str, str]]:
    """Each variable's name -> (default as shown, description)."""
    out = {}
    for name, info in Settings.model_fields.items():
        default = info.default
        shown = "" if default is None else (str(default).lower() if isinstance(default, bool) else str(default))
        out[PREFIX + name.upper()] = (shown, info.description or "")
    return out


def load(**overrides: Any) -> Settings:
    """The settings from the environment (and `overrides`), or SettingsError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else "?"
            problems.append(f"{PREFIX}{field.upper()}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None
