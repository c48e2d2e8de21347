"""Prompt files: spoken once by espeak-ng (Vietnamese and English), converted to 8 kHz, reused."""

import io
import math
import struct
import wave

import pytest

from tongdai.media.prompts import PromptError, PromptFiles, as_8k_wav, duration_seconds


def test_a_vietnamese_prompt_is_spoken_once_into_an_8k_wav_and_reused(tmp_path):
    files = PromptFiles(tmp_path)
    path = files.speech("Xin chào quý khách. Bấm 1 để gặp bộ phận bán hàng.", "vi")
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        samples = struct.unpack(f"<{w.getnframes()}h", w.readframes(w.getnframes()))
    assert 2.0 < duration_seconds(path) < 8.0 and max(abs(s) for s in samples) > 1000  # speech, not silence
    mtime = path.stat().st_mtime_ns
    assert files.speech("Xin chào quý khách. Bấm 1 để gặp bộ phận bán hàng.", "vi") == path
    assert path.stat().st_mtime_ns == mtime  # not rendered again
    assert files.speech("Press 1 for sales.", "en") != path


def test_an_uploaded_44k_stereo_wav_becomes_8k_mono(tmp_path):
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(b"".join(struct.pack("<hh", int(8000 * math.sin(i / 10)), 0) for i in range(44100)))
    path = PromptFiles(tmp_path).audio(out.getvalue())
    assert abs(duration_seconds(path) - 1.0) < 0.01


def test_what_is_not_a_wav_is_refused_clearly():
    with pytest.raises(PromptError, match="not a PCM WAV"):
        as_8k_wav(b"ID3\x03\x00 this is an mp3 or anything else")
