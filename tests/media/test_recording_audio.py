"""The recording converter: rtpengine's pcap → one stereo MP3, checked by listening to it (decoded with
miniaudio, frequencies found by FFT), not by its size."""

from __future__ import annotations

import warnings

import miniaudio
import numpy as np
import pytest

from tongdai.media.recording_audio import DECODERS, NotAPcap, convert, mp3_duration_ms, read_packets

from .pcaps import Leg, alaw, tone, ulaw, write_pcap

T0 = 1_800_000_000.0


def channels(path) -> tuple[np.ndarray, np.ndarray, int]:
    decoded = miniaudio.mp3_read_file_s16(str(path))
    samples = np.frombuffer(decoded.samples, dtype=np.int16).reshape(-1, decoded.nchannels)
    return samples[:, 0].astype(float), samples[:, 1].astype(float), decoded.sample_rate


def loudest_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples ** 2))) if len(samples) else 0.0


def test_the_g711_tables_match_the_reference_decoder():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # the C reference of Python 3.11
    every = bytes(range(256))
    assert DECODERS[0].tobytes() == audioop.ulaw2lin(every, 2)
    assert DECODERS[8].tobytes() == audioop.alaw2lin(every, 2)
    # and the tests' own encoders (tests/media/pcaps.py) round-trip within G.711's quantisation step
    for encode, table in ((ulaw, DECODERS[0]), (alaw, DECODERS[8])):
        for sample in range(-32000, 32000, 13):
            assert abs(int(table[encode(sample)]) - sample) <= abs(sample) / 16 + 16, (encode.__name__, sample)


def test_customer_left_agent_right_at_their_frequencies_for_the_calls_exact_length(tmp_path):
    pcap = write_pcap(tmp_path / "call.pcap", [
        Leg(port=31000, audio=tone(440, 6.0), source=("10.0.0.1", 7000), ssrc=1),  # the customer, PCMU
        Leg(port=31002, audio=tone(1000, 5.0, alaw), payload_type=8, start=0.5, ssrc=2),  # the agent, PCMA
    ], t0=T0)
    done = convert(pcap, tmp_path / "call.mp3", customer_ports={31000}, start=T0 - 1.0, end=T0 + 7.0)
    assert done.duration_ms == 8000 and done.streams == 2 and done.late == 0
    assert abs(mp3_duration_ms(tmp_path / "call.mp3") - 8000) < 500
    left, right, rate = channels(tmp_path / "call.mp3")
    assert rate == 8000 and abs(len(left) / rate - 8.0) < 0.5
    # the second before the call's first packet is silent on both sides
    assert rms(left[: rate // 2]) < 50 and rms(right[: rate // 2]) < 50
    talk = slice(2 * rate, 5 * rate)
    assert abs(loudest_frequency(left[talk], rate) - 440) < 10
    assert abs(loudest_frequency(right[talk], rate) - 1000) < 10
    assert rms(left[talk]) > 2000 and rms(right[talk]) > 2000
    # the agent stopped at 6.5 s, the customer at 7 s: the last second is silence again
    assert rms(right[int(6.8 * rate): int(7.8 * rate)]) < 50


def test_a_leg_that_went_quiet_leaves_silence_where_it_was_quiet(tmp_path):
    first, second = tone(700, 2.0), tone(700, 2.0)
    pcap = write_pcap(tmp_path / "gap.pcap", [
        Leg(port=31000, audio=first, ssrc=1),
        Leg(port=31000, audio=second, start=5.0, ssrc=1),  # same stream, three seconds of nothing between
        Leg(port=31002, audio=tone(300, 7.0), ssrc=2),
    ], t0=T0)
    convert(pcap, tmp_path / "gap.mp3", customer_ports={31000}, start=T0, end=T0 + 7.0)
    left, right, rate = channels(tmp_path / "gap.mp3")
    assert rms(left[int(2.5 * rate): int(4.5 * rate)]) < 50  # the gap
    assert rms(left[int(5.5 * rate): int(6.5 * rate)]) > 2000  # after it, where it arrived
    assert abs(loudest_frequency(right[rate: 6 * rate], rate) - 300) < 10


def test_without_ports_the_first_stream_is_the_customer_and_a_cut_file_converts_up_to_its_cut(tmp_path):
    pcap = write_pcap(tmp_path / "crash.pcap", [
        Leg(port=31000, audio=tone(500, 3.0), ssrc=1),
        Leg(port=31002, audio=tone(900, 3.0), start=0.01, ssrc=2),
    ], t0=T0, cut=37)
    done = convert(pcap, tmp_path / "crash.mp3", customer_ports=set())
    assert abs(done.duration_ms - 3000) < 100
    left, right, rate = channels(tmp_path / "crash.mp3")
    assert abs(loudest_frequency(left[rate: 2 * rate], rate) - 500) < 10
    assert abs(loudest_frequency(right[rate: 2 * rate], rate) - 900) < 10


def test_other_codecs_rtcp_and_events_are_left_out_and_counted(tmp_path):
    pcap = write_pcap(tmp_path / "mixed.pcap", [
        Leg(port=31000, audio=tone(440, 1.0), ssrc=1),
        Leg(port=31002, audio=bytes(160 * 10), payload_type=111, ssrc=2),  # opus: not decoded
        Leg(port=31000, audio=bytes(160 * 5), payload_type=101, ssrc=3),  # DTMF events
    ], t0=T0)
    done = convert(pcap, tmp_path / "mixed.mp3", customer_ports={31000}, start=T0, end=T0 + 1.0)
    assert done.undecoded == {111: 10} and done.packets == 65


def test_something_else_than_a_pcap_is_refused_and_leaves_no_file(tmp_path):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a pcap at all, just text\n" * 4)
    with pytest.raises(NotAPcap):
        convert(bad, tmp_path / "bad.mp3", customer_ports=set(), start=T0, end=T0 + 1)
    assert not (tmp_path / "bad.mp3").exists() and not (tmp_path / "bad.mp3.part").exists()
    with pytest.raises(NotAPcap):
        list(read_packets(bad))


def test_a_cut_mp3_is_not_taken_for_a_whole_one(tmp_path):
    pcap = write_pcap(tmp_path / "c.pcap", [Leg(port=31000, audio=tone(440, 2.0))], t0=T0)
    convert(pcap, tmp_path / "c.mp3", customer_ports={31000})
    data = (tmp_path / "c.mp3").read_bytes()
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) - 10])
    with pytest.raises(ValueError):
        mp3_duration_ms(tmp_path / "cut.mp3")
