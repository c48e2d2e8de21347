"""Recordings: one per recorded call (outbound: its hotline's or adaptive number's `record_calls`;
inbound: its queue's `record_calls`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .common import In, Page, Timestamp


class RecordingOut(BaseModel):
    id: str = Field(description="the recording's id", examples=["re_4k2m9x7q1w3e5r"])
    call_id: str = Field(description="the recorded call (the call log's id)", examples=["ca_7mvyiyvf326gtu"])
    agent_id: str | None = Field(description="the agent on the call", examples=["ag_2w5kq3m8x1zv7n"])
    hotline_id: str | None = Field(description="the hotline the call went through", examples=["hl_5n8b2v4c6x1z3m"])
    recorded_by: Literal["hotline", "adaptive_number", "queue"] = Field(
        description="which setting recorded the call: an outbound call's hotline or adaptive number "
                    "(`record_calls`), or an inbound call's queue (`record_calls`)", examples=["queue"])
    status: Literal["recording", "pending", "ready", "failed", "deleted"] = Field(
        description="`recording` while the call is up, `pending` until its file is made, then `ready`; "
                    "`failed` (see `reason`) or `deleted` (by retention or a user)", examples=["ready"])
    reason: str | None = Field(description="why it failed, or why it was deleted (`retention`, `deleted`)",
                               examples=[None])
    duration_ms: int | None = Field(description="the file's length: the call from its answer to its end",
                                    examples=[183000])
    size: int | None = Field(description="bytes", examples=[732160])
    format: str | None = Field(description="`mp3` (32 kbit/s, 8 kHz)", examples=["mp3"])
    channels: int | None = Field(description="2: the customer on the left channel, the agent on the right",
                                 examples=[2])
    legal_hold: bool = Field(description="on hold, the recording is neither swept by retention nor deletable",
                             examples=[False])
    started_at: Timestamp = Field(description="when recording started (the call was answered)")
    ended_at: Timestamp | None = Field(description="when the call ended")
    created_at: Timestamp | None = Field(description="when the file was made")
    expires_at: Timestamp | None = Field(description="when retention deletes it (none: kept until deleted)")
    deleted_at: Timestamp | None = Field(description="when its file was deleted")
    audio_url: str | None = Field(description="where its audio streams (HTTP Range supported), once `ready`",
                                  examples=["/api/v1/recordings/re_4k2m9x7q1w3e5r/audio"])


class RecordingList(Page):
    items: list[RecordingOut]


class RecordingPatch(In):
    legal_hold: bool = Field(description="put the recording on legal hold (true) or lift it (false)",
                             examples=[True])


class RetentionIn(In):
    days: int | None = Field(description="keep recordings this many days after they are made (null: the "
                             "server's default, `TONGDAI_RECORDING_RETENTION_DAYS`)", ge=1, le=36500, examples=[180])


class RetentionOut(BaseModel):
    days: int | None = Field(description="the tenant's own retention (null: the server's default)", examples=[180])
    default_days: float = Field(description="the server's default (`TONGDAI_RECORDING_RETENTION_DAYS`; 0: forever)",
                                examples=[90])
    effective_days: float = Field(description="what applies: recordings are deleted this long after they are made "
                                  "(0: kept until deleted), unless on legal hold", examples=[180])
