"""The database schema. Alembic migrations under migrations/ must match it (a test checks)."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.types import TypeDecorator

from ..domain.timestamps import utc


class UtcDateTime(TypeDecorator):
    """A moment, always in UTC: an aware value is turned to UTC before it is stored or compared (SQLite
    keeps no offset, so `+07:00` would otherwise be lost), and values read back are aware, in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201 - SQLAlchemy's hook
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201 - SQLAlchemy's hook
        return None if value is None else utc(value)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

ID = 40


def _tenant_fk(nullable: bool = False) -> Column:
    return Column("tenant_id", String(ID), ForeignKey("tenants.id", ondelete="RESTRICT"),
                  nullable=nullable, index=True)


tenants = Table(
    "tenants", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("sip_domain", String(253), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("allow_premium", Boolean, nullable=False, server_default=false()),
    Column("allow_international", Boolean, nullable=False, server_default=false()),
    Column("time_zone", String(60), nullable=False, server_default="Asia/Ho_Chi_Minh"),
    Column("opening_hours", JSON),
    Column("recording_retention_days", Integer),  # None: the server's TONGDAI_RECORDING_RETENTION_DAYS
)

trunks = Table(
    "trunks", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("host", String(253), nullable=False),
    Column("port", Integer, nullable=False),
    Column("transport", String(8), nullable=False),
    Column("source_addresses", JSON, nullable=False),
    Column("username", String(100)),
    Column("password", String(200)),
    _tenant_fk(nullable=True),
)

inventory = Table(
    "inventory", metadata,
    Column("number", String(20), primary_key=True),
    Column("country", String(2), nullable=False),
    Column("line_type", String(16), nullable=False),
    Column("carrier", String(20)),
    Column("trunk_id", String(ID), ForeignKey("trunks.id", ondelete="RESTRICT"), nullable=False, index=True),
    _tenant_fk(nullable=True),
    Column("assigned_by", String(16)),
)

groups = Table(
    "groups", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("name", String(100), nullable=False),
    UniqueConstraint("tenant_id", "name", name="uq_groups_tenant_name"),
)

queues = Table(
    "queues", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("name", String(100), nullable=False),
    Column("groups", JSON, nullable=False),
    Column("strategy", String(20), nullable=False),
    Column("ring_timeout_seconds", Integer, nullable=False),
    Column("max_wait_seconds", Integer, nullable=False),
    Column("max_wait_action", JSON, nullable=False),
    Column("record_calls", Boolean, nullable=False),
    Column("waiting_audio", String(10), nullable=False, server_default="ringback"),
    Column("music_audio_id", String(ID)),
)

audio_files = Table(
    "audio_files", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("name", String(200), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

ivr_trees = Table(
    "ivr_trees", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("name", String(100), nullable=False),
    Column("root_node_id", String(40), nullable=False),
    Column("nodes", JSON, nullable=False),
)

hotlines = Table(
    "hotlines", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("number_type", String(10), nullable=False),
    Column("country", String(2), nullable=False),
    Column("line_type", String(16), nullable=False),
    Column("number", String(20), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("outbound_enabled", Boolean, nullable=False),
    Column("outbound_groups", JSON, nullable=False),
    Column("record_calls", Boolean, nullable=False),
    Column("ivr_enabled", Boolean, nullable=False),
    Column("ivr_tree_id", String(ID), ForeignKey("ivr_trees.id", ondelete="RESTRICT"), index=True),
    Column("queue_id", String(ID), ForeignKey("queues.id", ondelete="RESTRICT"), index=True),
    Column("show_in_widget", Boolean, nullable=False),
    Column("recording_announcement", Boolean, nullable=False, server_default=false()),
    Column("wrap_up_seconds", Integer, nullable=False),
    Column("notify_answer_seconds", Integer, nullable=False),
    Column("carrier", String(20)),
    Column("trunk_id", String(ID), ForeignKey("trunks.id", ondelete="RESTRICT")),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_hotlines_tenant_created", "tenant_id", "created_at", "id"),
)

adaptive_numbers = Table(
    "adaptive_numbers", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("name", String(100), nullable=False),
    Column("fallback_hotline_id", String(ID), ForeignKey("hotlines.id", ondelete="RESTRICT"), index=True),
    Column("members", JSON, nullable=False),
    Column("outbound_enabled", Boolean, nullable=False),
    Column("show_in_widget", Boolean, nullable=False),
    Column("record_calls", Boolean, nullable=False),
)

agents = Table(
    "agents", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("name", String(100), nullable=False),
    Column("sip_username", String(64), nullable=False),
    Column("extension", String(6), nullable=False),
    Column("groups", JSON, nullable=False),
    Column("default_caller_id", String(ID)),
    Column("sip_ha1_md5", String(32), nullable=False),
    Column("sip_ha1_sha256", String(64), nullable=False),
    UniqueConstraint("tenant_id", "sip_username", name="uq_agents_tenant_username"),
    UniqueConstraint("tenant_id", "extension", name="uq_agents_tenant_extension"),
)

users = Table(
    "users", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(nullable=True),  # none: the operator's
    Column("email", String(320), nullable=False, unique=True),  # one sign-in name across tenants
    Column("name", String(100), nullable=False),
    Column("role", String(12), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("agent_id", String(ID), ForeignKey("agents.id", ondelete="CASCADE")),
    Column("language", String(2), nullable=False, server_default="vi"),
    Column("created_at", UtcDateTime(), nullable=False),
)

portal_sessions = Table(
    "portal_sessions", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's token: the token is never stored
    Column("user_id", String(ID), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(ID), primary_key=True),
    Column("secret_hash", String(200), nullable=False),
    Column("role", String(10), nullable=False),
    _tenant_fk(nullable=True),
    Column("agent_id", String(ID), ForeignKey("agents.id", ondelete="CASCADE")),
    Column("created_at", UtcDateTime(), nullable=False),
)

ported_numbers = Table(
    "ported_numbers", metadata,
    # scope is "operator" or a tenant id: one table per scope, replaced whole on upload
    Column("scope", String(ID), primary_key=True),
    Column("number", String(20), primary_key=True),
    Column("carrier", String(20), nullable=False),
)

calls = Table(
    "calls", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("direction", String(10), nullable=False),
    Column("agent_id", String(ID), index=True),
    Column("hotline_id", String(ID), index=True),
    Column("hotline_number", String(20)),
    Column("customer_number", String(40)),
    Column("callee_agent_id", String(ID)),
    Column("caller_id_reasons", JSON, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ringing_at", UtcDateTime()),
    Column("answered_at", UtcDateTime()),
    Column("ended_at", UtcDateTime()),
    Column("talk_seconds", Float),
    Column("sip_status", Integer),
    Column("end_reason", String(20)),
    Column("hung_up_by", String(10)),
    Column("recorded", Boolean, nullable=False),
    Column("queue_id", String(ID)),
    Column("queued_at", UtcDateTime()),
    Column("queue_seconds", Float),
    Column("ring_seconds", Float),
    Column("agents_offered", JSON, nullable=False, server_default="[]"),
    Column("overflow", String(60)),
    Column("wrap_up_seconds", Float),
    Column("ivr_tree_id", String(ID)),
    Column("ivr_path", JSON, nullable=False, server_default="[]"),
    Column("ivr_keys", JSON, nullable=False, server_default="[]"),
    Column("ivr_seconds", Float),
    Column("recorded_by", String(20)),  # hotline | adaptive_number (outbound) | queue (inbound)
    Column("recording_id", String(ID)),
    Index("ix_calls_tenant_started", "tenant_id", "started_at"),
    # covers what the reports read, so a week of calls among millions is read from the index alone
    Index("ix_calls_report", "tenant_id", "started_at", "direction", "queue_id", "agent_id", "hotline_id",
          "end_reason", "queue_seconds", "talk_seconds", "wrap_up_seconds", "answered_at"),
)

recordings = Table(
    "recordings", metadata,
    Column("id", String(ID), primary_key=True),
    Column("tenant_id", String(ID), ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False),
    Column("call_id", String(ID), nullable=False, unique=True),
    Column("agent_id", String(ID)),
    Column("hotline_id", String(ID)),
    Column("recorded_by", String(20), nullable=False),
    Column("status", String(12), nullable=False),  # recording | pending | ready | failed | deleted
    Column("reason", String(300)),  # why it failed, or why it was deleted
    Column("media_call_id", String(300), nullable=False),  # the call in rtpengine, which names its pcap
    Column("customer_ports", JSON, nullable=False),  # rtpengine's ports the customer sent to
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime()),
    Column("created_at", UtcDateTime()),  # when the file was made
    Column("duration_ms", Integer),
    Column("size", BigInteger),
    Column("format", String(8)),
    Column("channels", Integer),
    Column("storage_key", String(300)),
    Column("legal_hold", Boolean, nullable=False, server_default=false()),
    Column("expires_at", UtcDateTime()),
    Column("deleted_at", UtcDateTime()),
    Index("ix_recordings_tenant_started", "tenant_id", "started_at"),
    Index("ix_recordings_status", "status"),
)

registrations = Table(
    "registrations", metadata,
    Column("agent_id", String(ID), ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("contact", String(300), primary_key=True),
    _tenant_fk(),
    Column("host", String(64), nullable=False),
    Column("port", Integer, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("user_agent", String(200), nullable=False),
)

webhooks = Table(
    "webhooks", metadata,
    Column("id", String(ID), primary_key=True),
    _tenant_fk(),
    Column("url", String(500), nullable=False),
    Column("events", JSON, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", String(ID), primary_key=True),
    Column("webhook_id", String(ID), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False, index=True),
    _tenant_fk(),
    Column("event", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(12), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", String(300)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime()),
)

agent_states = Table(
    "agent_states", metadata,
    Column("agent_id", String(ID), ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    _tenant_fk(),
    Column("state", String(12), nullable=False),
    Column("reason", String(100)),
    Column("since", UtcDateTime(), nullable=False),
)

agent_state_history = Table(
    "agent_state_history", metadata,
    Column("id", String(ID), primary_key=True),
    Column("agent_id", String(ID), ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True),
    _tenant_fk(),
    Column("old", String(12), nullable=False),
    Column("new", String(12), nullable=False),
    Column("reason", String(100)),
    Column("at", UtcDateTime(), nullable=False),
)

# Report rollups, kept by store.reports: the call log's figures per UTC hour (and per local day, for each
# UTC offset a report has asked for) and dimension ("hotline", "queue", "agent" for inbound calls,
# "outbound" per hotline), with each bucket's waits counted per whole second (for the 90th percentile).
# An hour whose calls were written is listed in report_dirty until it is counted again.


def _report_figures() -> list[Column]:
    return [Column("offered", Integer, nullable=False), Column("answered", Integer, nullable=False),
            Column("abandoned", Integer, nullable=False), Column("within", Integer, nullable=False),
            Column("wait_n", Integer, nullable=False), Column("wait_sum", Float, nullable=False),
            Column("time_n", Integer, nullable=False), Column("time_sum", Float, nullable=False)]


def _report_key(period: str, with_offset: bool) -> list[Column]:
    offset = [Column("offset_minutes", Integer, primary_key=True)] if with_offset else []
    return [Column("tenant_id", String(ID), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
            *offset, Column(period, BigInteger, primary_key=True),
            Column("dimension", String(10), primary_key=True), Column("key", String(ID), primary_key=True)]


report_hours = Table("report_hours", metadata, *_report_key("hour", False), *_report_figures())
report_days = Table("report_days", metadata, *_report_key("day", True), *_report_figures())
report_hour_waits = Table("report_hour_waits", metadata, *_report_key("hour", False),
                          Column("wait", Integer, primary_key=True), Column("calls", Integer, nullable=False))
report_day_waits = Table("report_day_waits", metadata, *_report_key("day", True),
                         Column("wait", Integer, primary_key=True), Column("calls", Integer, nullable=False))
report_dirty = Table(
    "report_dirty", metadata,
    Column("tenant_id", String(ID), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("hour", BigInteger, primary_key=True),
)
report_offsets = Table(
    "report_offsets", metadata,
    Column("tenant_id", String(ID), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("offset_minutes", Integer, primary_key=True),
)

# One row: raised with every committed configuration change (see store.records.ConfigVersion).
config_version = Table(
    "config_version", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

# Tables whose change the running switch (or the webhook dispatcher) must see.
CONFIGURATION = frozenset({"tenants", "trunks", "inventory", "groups", "queues", "audio_files", "ivr_trees",
                           "hotlines", "adaptive_numbers", "agents", "ported_numbers", "webhooks", "api_keys"})
