"""Prompt audio as files rtpengine plays (`play media` with `file=`: a blob over ~64 KB does not fit an
ng datagram). Text is spoken by espeak-ng; every file is 8 kHz mono 16-bit PCM WAV, named by the
SHA-256 of what produced it (the text, language and voice; or the uploaded audio), written once,
atomically, and reused by every call and every later start."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tempfile
import warnings
import wave
from pathlib import Path

from ..domain.errors import RuleViolation, Violation

with warnings.catch_warnings():  # deprecated in 3.11, still the standard library's resampler here
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATE = 8000
VOICES = {"vi": "vi", "en": "en-us"}
SPEED = 150  # words per minute
MAX_UPLOAD_SECONDS = 600  # an uploaded prompt or music file plays at most 10 minutes


class PromptError(RuntimeError):
    """A prompt could not be made (espeak-ng missing or failing, unreadable audio); `code` says why."""

    def __init__(self, message: str, code: str = "invalid_audio"):
        super().__init__(message)
        self.code = code


def audio_format(data: bytes) -> str | None:
    """`wav` or `mp3` by the file's first bytes (a RIFF/WAVE header; an ID3 tag or an MPEG audio frame
    sync), or None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def uploaded_audio(data: bytes) -> tuple[bytes, int]:
    """An uploaded WAV or MP3 (any rate, mono or stereo, any sample format) as what rtpengine plays best
    here, 8 kHz mono 16-bit PCM WAV, with its length in milliseconds. PromptError when it is not one of
    those, has no audio, or plays longer than MAX_UPLOAD_SECONDS."""
    import miniaudio  # decodes and resamples in-process (dr_wav, dr_mp3)
    kind = audio_format(data)
    if kind is None:
        raise PromptError("not a WAV or MP3 file")
    try:
        sound = miniaudio.decode(data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1,
                                 sample_rate=RATE)
    except miniaudio.DecodeError:
        raise PromptError(f"the {kind.upper()} file could not be decoded") from None
    if sound.num_frames == 0:
        raise PromptError("the file has no audio")
    if sound.num_frames > MAX_UPLOAD_SECONDS * RATE:
        raise PromptError(f"the file plays {sound.num_frames // RATE} s: at most {MAX_UPLOAD_SECONDS} s", "too_long")
    return _wav(sound.samples.tobytes()), sound.num_frames * 1000 // RATE


def audio_for_upload(data: bytes) -> tuple[bytes, int]:
    """`uploaded_audio` as the services take it (`Context.audio_upload`): a file it refuses is a rule
    violation of the field `file`, with the reason's code."""
    try:
        return uploaded_audio(data)
    except PromptError as exc:
        raise RuleViolation(Violation("file", exc.code, str(exc))) from None


def _wav(frames: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames)
    return out.getvalue()


def as_8k_wav(data: bytes) -> bytes:
    """PCM WAV of any rate, mono or stereo, 8 or 16 bit → 8 kHz mono 16-bit WAV."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise PromptError(f"not a PCM WAV file: {exc}") from None
    if width == 1:
        frames, width = audioop.bias(audioop.lin2lin(frames, 1, 2), 2, 0), 2  # 8-bit WAV is unsigned
    elif width != 2:
        frames, width = audioop.lin2lin(frames, width, 2), 2
    if channels == 2:
        frames = audioop.tomono(frames, 2, 0.5, 0.5)
    if rate != RATE:
        frames, _ = audioop.ratecv(frames, 2, 1, rate, RATE, None)
    return _wav(frames)


def duration_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


class PromptFiles:
    def __init__(self, directory: Path, espeak: str = "espeak-ng"):
        self.directory = directory
        self.espeak = espeak

    def speech(self, text: str, language: str) -> Path:
        """The file of `text` spoken in `language` (vi or en), rendered on first use."""
        voice = VOICES.get(language, "vi")
        path = self._path(f"espeak-ng|{voice}|{SPEED}|{text}".encode())
        if not path.exists():
            try:
                spoken = subprocess.run([self.espeak, "-v", voice, "-s", str(SPEED), "--stdout", text],
                                        capture_output=True, timeout=30, check=True).stdout
            except (OSError, subprocess.SubprocessError) as exc:
                raise PromptError(f"espeak-ng could not speak the prompt: {exc}") from None
            self._write(path, as_8k_wav(_fixed_header(spoken)))
        return path

    def audio(self, data: bytes) -> Path:
        """The file of an uploaded recording (a PCM WAV), converted on first use."""
        path = self._path(b"upload|" + data)
        if not path.exists():
            self._write(path, as_8k_wav(data))
        return path

    def heard(self, text: str | None, language: str, upload: bytes | None) -> bytes:
        """What a caller hears of a prompt: its text spoken in `language`, or else the upload (WAV bytes)."""
        if text:
            return self.speech(text, language).read_bytes()
        if upload is not None:
            return self.audio(upload).read_bytes()
        raise PromptError("the prompt's audio is gone")

    def music(self) -> Path:
        """The default music on hold: a soft, slow arpeggio (C major, A minor, F, G) synthesized here, so it
        ships with no one else's copyright; about 16 s, looped by rtpengine."""
        path = self._path(b"music|arpeggio-v1")
        if not path.exists():
            self._write(path, _arpeggio())
        return path

    def _path(self, what: bytes) -> Path:
        return self.directory / f"{hashlib.sha256(what).hexdigest()}.wav"

    def _write(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)  # whole or not at all: rtpengine never reads half a prompt
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _fixed_header(data: bytes) -> bytes:
    """espeak-ng writing to a pipe cannot go back to fill in the RIFF and data sizes: put them in."""
    if len(data) < 44 or data[:4] != b"RIFF":
        raise PromptError("espeak-ng gave no WAV")
    at = data.find(b"data", 12)
    if at < 0:
        raise PromptError("espeak-ng gave no WAV data")
    size = len(data) - (at + 8)
    return (data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:at + 4] + size.to_bytes(4, "little")
            + data[at + 8:])


def _arpeggio() -> bytes:
    """Four chords, each arpeggiated in eighth notes at 90 bpm, sine tones with a soft attack and decay."""
    import math
    chords = ((261.63, 329.63, 392.00, 523.25), (220.00, 261.63, 329.63, 440.00),
              (174.61, 220.00, 261.63, 349.23), (196.00, 246.94, 293.66, 392.00))
    note = int(RATE * 60 / 90 / 2)  # an eighth note
    samples = []
    for chord in chords:
        for _bar in range(2):
            for step in (0, 1, 2, 3, 2, 1, 2, 3):
                freq = chord[step]
                for i in range(note):
                    envelope = min(1.0, i / 200) * math.exp(-3.0 * i / note)
                    samples.append(int(5000 * envelope * math.sin(2 * math.pi * freq * i / RATE)))
    return _wav(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))
