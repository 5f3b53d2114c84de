"""What the publisher sends, read from the FLV tags themselves (no ffprobe on a live pipe).

The ladder planner needs a :class:`~culturecast.transcode.probe.SourceInfo`. Encoders say
some of it in ``onMetaData`` (width, height, framerate, data rates), but not all do, and
none says the H.264 profile or pixel format, so the decoder configuration records are read:
the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) with its SPS (ITU-T H.264
§7.3.2.1.1) and the AAC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from culturecast.transcode.probe import SourceInfo


@dataclass(frozen=True, slots=True)
class AvcConfig:
    """The parts of an H.264 SPS the ladder needs."""

    profile_idc: int
    """66 Baseline, 77 Main, 100 High, …"""
    constraint_flags: int
    """constraint_set0..5 flags byte."""
    level_idc: int
    """Level × 10."""
    width: int
    """Cropped picture width."""
    height: int
    """Cropped picture height."""
    chroma_format_idc: int = 1
    """1 = 4:2:0."""
    bit_depth: int = 8
    """Luma bit depth."""

    @property
    def profile_name(self) -> str:
        """ffprobe's name for the profile."""
        if self.profile_idc == 66:
            return "Constrained Baseline" if self.constraint_flags & 0x40 else "Baseline"
        return {77: "Main", 88: "Extended", 100: "High", 110: "High 10", 122: "High 4:2:2"}.get(
            self.profile_idc, f"profile {self.profile_idc}"
        )

    @property
    def pix_fmt(self) -> str:
        """ffprobe's pixel format name (only the common ones matter)."""
        chroma = {0: "gray", 1: "yuv420p", 2: "yuv422p", 3: "yuv444p"}[self.chroma_format_idc]
        return chroma if self.bit_depth == 8 else f"{chroma}{self.bit_depth}le"


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.pos >> 3
            if byte >= len(self.data):
                raise ValueError("SPS ends early")
            value = (value << 1) | ((self.data[byte] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        # ITU-T H.264 §9.1 Exp-Golomb.
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code in SPS")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


def _unescape(nal: bytes) -> bytes:
    # §7.4.1: emulation_prevention_three_byte after 00 00.
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})


def parse_sps(nal: bytes) -> AvcConfig:
    """Profile, level, size, chroma format and bit depth from one SPS NAL unit."""
    if not nal or nal[0] & 0x1F != 7:
        raise ValueError("not an SPS NAL unit")
    bits = _Bits(_unescape(nal[1:]))
    profile, constraints, level = bits.u(8), bits.u(8), bits.u(8)
    bits.ue()  # seq_parameter_set_id
    chroma, depth, separate = 1, 8, 0
    if profile in _HIGH_PROFILES:
        chroma = bits.ue()
        if chroma == 3:
            separate = bits.u(1)
        depth = bits.ue() + 8
        bits.ue()  # bit_depth_chroma_minus8
        bits.u(1)  # qpprime_y_zero_transform_bypass_flag
        if bits.u(1):  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma != 3 else 12):
                if bits.u(1):
                    size, last, nxt = (16 if i < 6 else 64), 8, 8
                    for _ in range(size):
                        if nxt:
                            nxt = (last + bits.se() + 256) % 256
                        last = nxt or last
    if chroma > 3:
        raise ValueError("bad chroma_format_idc")
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1)
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs = bits.ue() + 1
    height_units = bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)  # mb_adaptive_frame_field_flag
    bits.u(1)  # direct_8x8_inference_flag
    crop = (0, 0, 0, 0)
    if bits.u(1):
        crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue())
    array_type = 0 if separate else chroma
    # Table 6-1 and equations 7-19..7-22: crop units per chroma format.
    sub_w, sub_h = {0: (1, 1), 1: (2, 2), 2: (2, 1), 3: (1, 1)}[array_type]
    crop_x = 1 if array_type == 0 else sub_w
    crop_y = (2 - frame_mbs_only) * (1 if array_type == 0 else sub_h)
    width = width_mbs * 16 - crop_x * (crop[0] + crop[1])
    height = (2 - frame_mbs_only) * height_units * 16 - crop_y * (crop[2] + crop[3])
    if width <= 0 or height <= 0:
        raise ValueError("SPS gives an empty picture")
    return AvcConfig(profile, constraints, level, width, height, chroma, depth)


def parse_avc_sequence_header(body: bytes) -> AvcConfig:
    """The SPS inside an FLV AVC sequence header tag body (legacy FLV, AVCPacketType 0)."""
    record = body[5:]
    if len(record) < 8 or record[0] != 1:
        raise ValueError("not an AVCDecoderConfigurationRecord")
    if record[5] & 0x1F < 1:
        raise ValueError("AVCDecoderConfigurationRecord without SPS")
    length = int.from_bytes(record[6:8], "big")
    return parse_sps(record[8 : 8 + length])


@dataclass(frozen=True, slots=True)
class AacConfig:
    """AudioSpecificConfig essentials."""

    object_type: int
    """2 = AAC-LC, 5 = HE-AAC (SBR), 29 = HE-AACv2 (PS)."""
    sample_rate: int | None
    """Hz."""
    channels: int
    """Channel configuration (0 = in the program config element)."""

    @property
    def profile_name(self) -> str:
        """ffprobe's name."""
        return {1: "Main", 2: "LC", 3: "SSR", 4: "LTP", 5: "HE-AAC", 29: "HE-AACv2"}.get(
            self.object_type, f"object type {self.object_type}"
        )


_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


def parse_aac_sequence_header(body: bytes) -> AacConfig:
    """The AudioSpecificConfig in an FLV AAC sequence header tag body."""
    if len(body) < 4:
        raise ValueError("AAC sequence header too short")
    bits = _Bits(body[2:])
    object_type = bits.u(5)
    if object_type == 31:
        object_type = 32 + bits.u(6)
    index = bits.u(4)
    rate = bits.u(24) if index == 15 else (_AAC_RATES[index] if index < 12 else None)
    return AacConfig(object_type, rate, bits.u(4))


def _number(meta: Mapping[str, object], key: str) -> float | None:
    value = meta.get(key)
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def source_info(
    *,
    metadata: Mapping[str, object],
    video_codec: str | None,
    audio_codec: str | None,
    avc: AvcConfig | None,
    aac: AacConfig | None,
    measured_fps: float | None,
    measured_video_kbps: float | None,
) -> SourceInfo:
    """What the ladder planner needs, from metadata, decoder configs and measurements.

    The SPS wins over metadata for size (encoders' metadata can be stale or missing); a
    measured rate is used when the metadata gives none.
    """
    width = avc.width if avc else int(_number(metadata, "width") or 0)
    height = avc.height if avc else int(_number(metadata, "height") or 0)
    fps = _number(metadata, "framerate") or _number(metadata, "fps") or measured_fps
    v_kbps = _number(metadata, "videodatarate") or measured_video_kbps
    a_kbps = _number(metadata, "audiodatarate")
    channels = aac.channels if aac and aac.channels else None
    if channels is None and audio_codec:
        stereo = metadata.get("stereo")
        channels = 2 if stereo is True or stereo is None else 1
    return SourceInfo(
        container="flv",
        duration_s=None,
        has_video=video_codec is not None,
        has_audio=audio_codec is not None,
        video_codec=video_codec,
        width=width,
        height=height,
        fps=round(fps, 3) if fps else None,
        video_bit_rate=round(v_kbps * 1000) if v_kbps else None,
        pix_fmt=avc.pix_fmt if avc else ("yuv420p" if video_codec == "h264" else None),
        video_profile=avc.profile_name if avc else None,
        video_level=avc.level_idc if avc else None,
        audio_codec=audio_codec,
        audio_profile=aac.profile_name if aac else None,
        audio_channels=channels,
        audio_sample_rate=aac.sample_rate if aac else None,
        audio_bit_rate=round(a_kbps * 1000) if a_kbps else None,
    )
