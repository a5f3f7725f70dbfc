#!/usr/bin/python3
"""Seeds for xc_decoder_fuzz: real Opus frames (libopus through ctypes), G.711 and G.722
payloads, telephone-events, gaps for PLC/FEC, truncated and corrupt frames, raw junk.
Run from this directory: ./make_corpus.py (writes xcode_corpus/)."""
import ctypes, math, os, struct

opus = ctypes.CDLL("libopus.so.0")
opus.opus_encoder_create.restype = ctypes.c_void_p
opus.opus_encoder_create.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                     ctypes.POINTER(ctypes.c_int)]
opus.opus_encode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_int,
                             ctypes.c_char_p, ctypes.c_int]
opus.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
OPUS_SET_INBAND_FEC, OPUS_SET_PACKET_LOSS_PERC = 4012, 4014


def opus_frames(n, fec):
    err = ctypes.c_int()
    enc = opus.opus_encoder_create(48000, 1, 2048, ctypes.byref(err))
    opus.opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC, 1 if fec else 0)
    opus.opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC, 20 if fec else 0)
    out = []
    for k in range(n):
        pcm = (ctypes.c_int16 * 960)(*[int(8000 * math.sin(2 * math.pi * 440 * (k * 960 + i)
                                                           / 48000)) for i in range(960)])
        buf = ctypes.create_string_buffer(1500)
        m = opus.opus_encode(enc, pcm, 960, buf, 1500)
        out.append(buf.raw[:m])
    return out


def chunk(mode, payload):
    payload = payload[:255]
    return bytes([mode, len(payload)]) + payload


def rtp(payload, step=1, event=False):
    return chunk(1 | (2 if event else 0) | ((step & 7) << 2), payload)


def write(name, first, chunks):
    with open(os.path.join("xcode_corpus", name), "wb") as f:
        f.write(bytes([first]) + b"".join(chunks))


os.makedirs("xcode_corpus", exist_ok=True)
frames = opus_frames(12, True)
# byte 0: from = bits 0-1 (0 opus, 1 pcmu, 2 pcma, 3 g722), to = bits 2-3, ptime = bits 4-5
write("opus_to_pcmu", 0x04, [rtp(f) for f in frames])
write("opus_to_g722_40ms", 0x2C, [rtp(f) for f in frames])
write("opus_loss_fec", 0x04, [rtp(f, 1 if i % 4 else 2) for i, f in enumerate(frames)])
write("opus_corrupt", 0x04, [rtp(f[:3] + bytes(reversed(f[3:]))) for f in frames[:6]] +
      [rtp(b""), rtp(b"\xff"), rtp(b"\xfc\xff\xff\xff")])
sine = bytes((int(127 + 100 * math.sin(i / 3)) & 0xff) for i in range(160))
write("pcmu_to_opus", 0x01, [rtp(sine) for _ in range(8)])
write("pcma_to_opus_10ms", 0x12, [rtp(sine) for _ in range(8)])
write("g722_to_pcmu", 0x07, [rtp(sine) for _ in range(8)] + [rtp(sine[:1]), rtp(sine[:7])])
write("pcmu_to_g722", 0x0D, [rtp(sine) for _ in range(6)] + [rtp(sine, 5)])
event = struct.pack("!BBH", 5, 10, 160)
end = struct.pack("!BBH", 5, 0x80 | 10, 800)
write("dtmf_pcmu_to_opus", 0x01, [rtp(sine), rtp(event, 1, True), rtp(end, 1, True),
                                  rtp(end, 1, True), rtp(b"\x10\x00", 1, True)])
write("raw_junk", 0x04, [chunk(0, b"\x80\x6f" + b"\x00" * 10), chunk(0, b"\x90\x6f" + b"\x00" * 14),
                         chunk(0, b"\xa0\x6f" + b"\x00" * 10 + b"\xff"), chunk(0, b"\x00" * 40)])
