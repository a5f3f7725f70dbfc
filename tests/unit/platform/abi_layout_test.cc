// Golden layout of the control plane <-> dataplane messages. Both processes are built from
// the same header, but a control plane and a dataplane of different builds meet across a
// restart: any change here is an ABI change. Appending fields at the end of a struct is a
// minor bump (update the numbers and kAbiMinor); anything else is a major bump.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include <rampart/platform/abi.h>

namespace rampart::abi {
namespace {

TEST(AbiLayout, StatusCodesArePinned) {
  // Append-only, like the message numbers: a peer of another build reads the same values.
  EXPECT_EQ(kOk, 0);
  EXPECT_EQ(kErrProto, -71);
  EXPECT_EQ(kErrMsgSize, -90);
  EXPECT_EQ(kErrInval, -22);
  EXPECT_EQ(kErrNoSpace, -28);
  EXPECT_EQ(kErrNoEnt, -2);
  EXPECT_EQ(kErrExist, -17);
  EXPECT_EQ(kErrNotSup, -95);
  EXPECT_EQ(kErrNeighFull, -105);
  EXPECT_EQ(kErrBusy, -16);
}

TEST(AbiLayout, VersionAndMessageNumbersArePinned) {
  EXPECT_EQ(kAbiMajor, 1);
  EXPECT_EQ(kAbiMinor, 10);
  EXPECT_EQ(kCmdSlotSize, 256u);
  EXPECT_EQ(kPacketSlotSize, 2048u);
  // Append-only: existing numbers never change.
  EXPECT_EQ(static_cast<int>(MsgType::Hello), 1);
  EXPECT_EQ(static_cast<int>(MsgType::HelloAck), 2);
  EXPECT_EQ(static_cast<int>(MsgType::FlowAdd), 3);
  EXPECT_EQ(static_cast<int>(MsgType::FlowModify), 4);
  EXPECT_EQ(static_cast<int>(MsgType::FlowDel), 5);
  EXPECT_EQ(static_cast<int>(MsgType::FlowQuery), 6);
  EXPECT_EQ(static_cast<int>(MsgType::Ack), 7);
  EXPECT_EQ(static_cast<int>(MsgType::FlowInfo), 8);
  EXPECT_EQ(static_cast<int>(MsgType::FlowDump), 9);
  EXPECT_EQ(static_cast<int>(MsgType::FlowDumpEnd), 10);
  EXPECT_EQ(static_cast<int>(MsgType::FlowIdle), 11);
  EXPECT_EQ(static_cast<int>(MsgType::SsrcChange), 12);
  EXPECT_EQ(static_cast<int>(MsgType::FlowIce), 13);
  EXPECT_EQ(static_cast<int>(MsgType::IceSelected), 14);
  EXPECT_EQ(static_cast<int>(MsgType::ConsentExpired), 15);
  EXPECT_EQ(static_cast<int>(MsgType::BanAdd), 16);
  EXPECT_EQ(static_cast<int>(MsgType::BanDel), 17);
  EXPECT_EQ(static_cast<int>(MsgType::BanClear), 18);
  EXPECT_EQ(static_cast<int>(MsgType::XcodeSetup), 20);
  EXPECT_EQ(static_cast<int>(MsgType::DtmfReport), 21);
  EXPECT_EQ(static_cast<int>(MsgType::DtmfEvent), 22);
  EXPECT_EQ(static_cast<int>(MsgType::XcodeRestart), 24);
  EXPECT_EQ(static_cast<int>(MsgType::DtmfInject), 23);
  EXPECT_EQ(kPacketXcRtp, 20);
  EXPECT_EQ(kPacketXcSetup, 21);
  EXPECT_EQ(kPacketXcTeardown, 22);
  EXPECT_EQ(kPacketXcRtcp, 23);
  EXPECT_EQ(kPacketXcDtmf, 24);
  EXPECT_EQ(kPacketXcBye, 25);
  EXPECT_EQ(kPacketXcToneReport, 26);
  EXPECT_EQ(kPacketXcTone, 27);
  EXPECT_EQ(static_cast<int>(XcodeCodecId::Pcmu), 1);
  EXPECT_EQ(static_cast<int>(XcodeCodecId::Pcma), 2);
  EXPECT_EQ(static_cast<int>(XcodeCodecId::G722), 3);
  EXPECT_EQ(static_cast<int>(XcodeCodecId::Opus), 4);
  EXPECT_EQ(kXcOpusFec, 1u);
  EXPECT_EQ(kXcOpusDtx, 2u);
  EXPECT_EQ(kXcOpusStereo, 4u);
  EXPECT_EQ(kFlowAwaitKeys, 1u << 6);
  EXPECT_EQ(static_cast<int>(SrtpSuite::AesCm128HmacSha1_80), 1);
  EXPECT_EQ(static_cast<int>(SrtpSuite::AesCm128HmacSha1_32), 2);
  EXPECT_EQ(static_cast<int>(SrtpSuite::AeadAes128Gcm), 3);
  EXPECT_EQ(static_cast<int>(SrtpSuite::AeadAes256Gcm), 4);
}

TEST(AbiLayout, SizesAndOffsetsArePinned) {
  EXPECT_EQ(sizeof(MsgHeader), 16u);
  EXPECT_EQ(offsetof(MsgHeader, type), 0u);
  EXPECT_EQ(offsetof(MsgHeader, size), 2u);
  EXPECT_EQ(offsetof(MsgHeader, seq), 4u);
  EXPECT_EQ(offsetof(MsgHeader, flow), 8u);
  EXPECT_EQ(sizeof(Hello),
            88u);  // msg_size[] grows with MsgType::Count (1.4: 21, 1.7: 24, 1.9: 25)
  EXPECT_EQ(sizeof(BanMsg), 40u);
  EXPECT_EQ(offsetof(BanMsg, addr), 16u);
  EXPECT_EQ(offsetof(BanMsg, family), 32u);
  EXPECT_EQ(offsetof(Hello, abi_major), 16u);
  EXPECT_EQ(offsetof(Hello, abi_minor), 18u);
  EXPECT_EQ(offsetof(Hello, cp_pid), 20u);
  EXPECT_EQ(offsetof(Hello, dp_epoch_seen), 24u);
  EXPECT_EQ(offsetof(Hello, msg_size), 32u);
  EXPECT_EQ(sizeof(HelloAck), 136u);
  EXPECT_EQ(offsetof(HelloAck, status), 16u);
  EXPECT_EQ(offsetof(HelloAck, abi_major), 20u);
  EXPECT_EQ(offsetof(HelloAck, abi_minor), 22u);
  EXPECT_EQ(offsetof(HelloAck, dp_epoch), 24u);
  EXPECT_EQ(offsetof(HelloAck, worker), 32u);
  EXPECT_EQ(offsetof(HelloAck, flows_live), 36u);
  EXPECT_EQ(offsetof(HelloAck, reason), 40u);
  EXPECT_EQ(sizeof(Ack), 24u);
  EXPECT_EQ(offsetof(Ack, status), 16u);
  EXPECT_EQ(offsetof(Ack, cmd_type), 20u);
  EXPECT_EQ(sizeof(SrtpParams), 52u);
  EXPECT_EQ(offsetof(SrtpParams, suite), 0u);
  EXPECT_EQ(offsetof(SrtpParams, key_len), 1u);
  EXPECT_EQ(offsetof(SrtpParams, key), 4u);
  EXPECT_EQ(sizeof(Endpoint), 20u);
  EXPECT_EQ(offsetof(Endpoint, addr), 0u);
  EXPECT_EQ(offsetof(Endpoint, port), 16u);
  EXPECT_EQ(sizeof(FlowAdd), 240u);
  EXPECT_EQ(offsetof(FlowAdd, clock_rate), 232u);
  EXPECT_EQ(offsetof(FlowAdd, in_port), 16u);
  EXPECT_EQ(offsetof(FlowAdd, out_port), 18u);
  EXPECT_EQ(offsetof(FlowAdd, flags), 20u);
  EXPECT_EQ(offsetof(FlowAdd, dscp), 22u);
  EXPECT_EQ(offsetof(FlowAdd, in_local), 24u);
  EXPECT_EQ(offsetof(FlowAdd, in_remote), 44u);
  EXPECT_EQ(offsetof(FlowAdd, out_local), 64u);
  EXPECT_EQ(offsetof(FlowAdd, out_remote), 84u);
  EXPECT_EQ(offsetof(FlowAdd, out_rtcp_local_port), 104u);
  EXPECT_EQ(offsetof(FlowAdd, out_rtcp_remote_port), 106u);
  EXPECT_EQ(offsetof(FlowAdd, latch_window_ms), 108u);
  EXPECT_EQ(offsetof(FlowAdd, idle_timeout_s), 110u);
  EXPECT_EQ(offsetof(FlowAdd, ssrc_rewrite), 112u);
  EXPECT_EQ(offsetof(FlowAdd, srtp_in), 120u);
  EXPECT_EQ(offsetof(FlowAdd, srtp_out), 172u);
  EXPECT_EQ(offsetof(FlowAdd, cookie), 224u);
  EXPECT_EQ(sizeof(FlowDel), 16u);
  EXPECT_EQ(sizeof(FlowQuery), 16u);
  EXPECT_EQ(sizeof(FlowDump), 16u);
  EXPECT_EQ(sizeof(FlowInfo), 176u);
  EXPECT_EQ(offsetof(FlowInfo, rtcp_sr_mid), 136u);
  EXPECT_EQ(offsetof(FlowInfo, rtcp_sr_at_us), 152u);
  EXPECT_EQ(offsetof(FlowInfo, rtcp_rr_lsr), 168u);
  EXPECT_EQ(offsetof(FlowInfo, rtcp_rr_at_us), 172u);
  EXPECT_EQ(offsetof(FlowInfo, srtp_in_engine), 112u);
  EXPECT_EQ(offsetof(FlowInfo, srtp_out_engine), 113u);
  EXPECT_EQ(offsetof(FlowInfo, srtp_in_seq), 114u);
  EXPECT_EQ(offsetof(FlowInfo, srtp_in_roc), 116u);
  EXPECT_EQ(offsetof(FlowInfo, srtp_out_roc), 120u);
  EXPECT_EQ(offsetof(FlowInfo, srtp_out_seq), 124u);
  EXPECT_EQ(offsetof(FlowInfo, srtp_in_ssrc), 128u);
  EXPECT_EQ(offsetof(FlowInfo, srtp_out_ssrc), 132u);
  EXPECT_EQ(kSrtpEngineFast, 1);
  EXPECT_EQ(kSrtpEngineLibsrtp, 2);
  EXPECT_EQ(offsetof(FlowInfo, cookie), 16u);
  EXPECT_EQ(offsetof(FlowInfo, in_port), 24u);
  EXPECT_EQ(offsetof(FlowInfo, flags), 26u);
  EXPECT_EQ(offsetof(FlowInfo, ssrc_in), 28u);
  EXPECT_EQ(offsetof(FlowInfo, in_local), 32u);
  EXPECT_EQ(offsetof(FlowInfo, in_remote), 52u);
  EXPECT_EQ(offsetof(FlowInfo, packets), 72u);
  EXPECT_EQ(offsetof(FlowInfo, bytes), 80u);
  EXPECT_EQ(offsetof(FlowInfo, drops), 88u);
  EXPECT_EQ(offsetof(FlowInfo, last_seen_ns), 96u);
  EXPECT_EQ(offsetof(FlowInfo, rtp_lost), 104u);
  EXPECT_EQ(offsetof(FlowInfo, jitter_ts), 108u);
  EXPECT_EQ(sizeof(FlowDumpEnd), 24u);
  EXPECT_EQ(offsetof(FlowDumpEnd, flows), 16u);
  EXPECT_EQ(sizeof(FlowIdle), 32u);
  EXPECT_EQ(offsetof(FlowIdle, cookie), 16u);
  EXPECT_EQ(offsetof(FlowIdle, idle_s), 24u);
  EXPECT_EQ(sizeof(SsrcChange), 32u);
  EXPECT_EQ(offsetof(SsrcChange, cookie), 16u);
  EXPECT_EQ(offsetof(SsrcChange, old_ssrc), 24u);
  EXPECT_EQ(offsetof(SsrcChange, new_ssrc), 28u);
  EXPECT_EQ(sizeof(FlowIce), 160u);
  EXPECT_EQ(offsetof(FlowIce, paired_flow), 16u);
  EXPECT_EQ(offsetof(FlowIce, consent_timeout_s), 24u);
  EXPECT_EQ(offsetof(FlowIce, local_ufrag_len), 26u);
  EXPECT_EQ(offsetof(FlowIce, local_pwd_len), 27u);
  EXPECT_EQ(offsetof(FlowIce, remote_ufrag_len), 28u);
  EXPECT_EQ(offsetof(FlowIce, local_ufrag), 32u);
  EXPECT_EQ(offsetof(FlowIce, local_pwd), 64u);
  EXPECT_EQ(offsetof(FlowIce, remote_ufrag), 128u);
  EXPECT_EQ(sizeof(IceSelected), 48u);
  EXPECT_EQ(offsetof(IceSelected, cookie), 16u);
  EXPECT_EQ(offsetof(IceSelected, remote), 24u);
  EXPECT_EQ(offsetof(IceSelected, family), 44u);
  EXPECT_EQ(sizeof(ConsentExpired), 32u);
  EXPECT_EQ(offsetof(ConsentExpired, cookie), 16u);
  EXPECT_EQ(offsetof(ConsentExpired, silent_s), 24u);
  EXPECT_EQ(sizeof(PacketSlot), 56u);
  EXPECT_EQ(offsetof(PacketSlot, len), 0u);
  EXPECT_EQ(offsetof(PacketSlot, port), 2u);
  EXPECT_EQ(offsetof(PacketSlot, family), 4u);
  EXPECT_EQ(offsetof(PacketSlot, kind), 5u);
  EXPECT_EQ(offsetof(PacketSlot, local), 8u);
  EXPECT_EQ(offsetof(PacketSlot, remote), 28u);
  EXPECT_EQ(offsetof(PacketSlot, flow), 48u);
}

TEST(AbiLayout, TranscoderMessagesArePinned) {
  EXPECT_EQ(sizeof(XcodeCodec), 16u);
  EXPECT_EQ(offsetof(XcodeCodec, codec), 0u);
  EXPECT_EQ(offsetof(XcodeCodec, payload_type), 1u);
  EXPECT_EQ(offsetof(XcodeCodec, channels), 2u);
  EXPECT_EQ(offsetof(XcodeCodec, ptime_ms), 3u);
  EXPECT_EQ(offsetof(XcodeCodec, clock_rate), 4u);
  EXPECT_EQ(offsetof(XcodeCodec, dtmf_pt), 8u);
  EXPECT_EQ(offsetof(XcodeCodec, opus_flags), 9u);
  EXPECT_EQ(offsetof(XcodeCodec, bitrate_kbps), 10u);
  EXPECT_EQ(offsetof(XcodeCodec, max_playback_rate), 12u);
  EXPECT_EQ(sizeof(XcodeSetup), 64u);
  EXPECT_EQ(offsetof(XcodeSetup, cookie), 16u);
  EXPECT_EQ(offsetof(XcodeSetup, from), 24u);
  EXPECT_EQ(offsetof(XcodeSetup, to), 40u);
  EXPECT_EQ(offsetof(XcodeSetup, out_ssrc), 56u);
  EXPECT_EQ(sizeof(XcodeSetupSlot), 72u);
  EXPECT_EQ(offsetof(XcodeSetupSlot, setup), 0u);
  EXPECT_EQ(offsetof(XcodeSetupSlot, reverse_flow), 64u);
  EXPECT_EQ(sizeof(DtmfReport), 24u);
  EXPECT_EQ(offsetof(DtmfReport, event_pt), 16u);
  EXPECT_EQ(offsetof(DtmfReport, drop), 17u);
  EXPECT_EQ(offsetof(DtmfReport, inband), 18u);
  EXPECT_EQ(sizeof(XcTone), 12u);
  EXPECT_EQ(offsetof(XcTone, clock_rate), 4u);
  EXPECT_EQ(offsetof(XcTone, duration), 8u);
  EXPECT_EQ(offsetof(XcTone, event), 10u);
  EXPECT_EQ(offsetof(XcTone, volume), 11u);
  EXPECT_EQ(sizeof(XcodeRestart), 24u);
  EXPECT_EQ(offsetof(XcodeRestart, attached_ns), 16u);
  EXPECT_EQ(sizeof(DtmfEvent), 40u);
  EXPECT_EQ(offsetof(DtmfEvent, cookie), 16u);
  EXPECT_EQ(offsetof(DtmfEvent, rtp_ts), 24u);
  EXPECT_EQ(offsetof(DtmfEvent, duration), 28u);
  EXPECT_EQ(offsetof(DtmfEvent, event), 30u);
  EXPECT_EQ(offsetof(DtmfEvent, volume), 31u);
  EXPECT_EQ(offsetof(DtmfEvent, clock_rate), 32u);
  EXPECT_EQ(sizeof(DtmfInject), 32u);
  EXPECT_EQ(offsetof(DtmfInject, event_pt), 24u);
  EXPECT_EQ(offsetof(DtmfInject, clock_rate), 28u);
  EXPECT_EQ(offsetof(DtmfInject, event), 16u);
  EXPECT_EQ(offsetof(DtmfInject, volume), 17u);
  EXPECT_EQ(offsetof(DtmfInject, duration_ms), 18u);
}

TEST(AbiHeader, UnusedNumberIsNotSupported) {
  // 19 has no message (the drop list took 16-18, transcoding 20): it is refused as such.
  MsgHeader h{};
  h.size = 64;
  h.type = static_cast<MsgType>(19);
  EXPECT_EQ(checkHeader(h, kCmdSlotSize), kErrNotSup);
  h.type = MsgType::BanAdd;
  h.size = sizeof(BanMsg);
  EXPECT_EQ(checkHeader(h, kCmdSlotSize), kOk);
  h.size = 64;
  h.type = MsgType::XcodeSetup;
  EXPECT_EQ(checkHeader(h, kCmdSlotSize), kOk);
}

TEST(AbiHandshake, SameBuildIsAccepted) {
  Hello h = makeHello(7, 1234, 99);
  char reason[96];
  EXPECT_EQ(checkHello(h, sizeof(h), reason, sizeof(reason)), kOk);
}

TEST(AbiHandshake, OtherMajorIsRefusedWithBothVersions) {
  Hello h = makeHello(7, 1234, 99);
  h.abi_major = kAbiMajor + 1;
  char reason[96];
  EXPECT_EQ(checkHello(h, sizeof(h), reason, sizeof(reason)), kErrProto);
  EXPECT_NE(std::strstr(reason, "incompatible ABI"), nullptr) << reason;
}

TEST(AbiHandshake, NewerMinorWithLargerMessagesIsAccepted) {
  Hello h = makeHello(7, 1234, 99);
  h.abi_minor = kAbiMinor + 3;
  h.msg_size[static_cast<int>(MsgType::FlowAdd)] = sizeof(FlowAdd) + 16;
  char reason[96];
  EXPECT_EQ(checkHello(h, sizeof(h), reason, sizeof(reason)), kOk);
}

TEST(AbiHandshake, ShorterMessagesAreRefusedNamingTheType) {
  Hello h = makeHello(7, 1234, 99);
  h.msg_size[static_cast<int>(MsgType::FlowAdd)] = sizeof(FlowAdd) - 8;
  char reason[96];
  EXPECT_EQ(checkHello(h, sizeof(h), reason, sizeof(reason)), kErrMsgSize);
  EXPECT_NE(std::strstr(reason, "FlowAdd"), nullptr) << reason;
}

TEST(AbiHandshake, TruncatedHelloIsRefused) {
  Hello h = makeHello(7, 1234, 99);
  char reason[96];
  EXPECT_NE(checkHello(h, 6, reason, sizeof(reason)), kOk);
  h.hdr.type = MsgType::FlowAdd;
  EXPECT_EQ(checkHello(h, sizeof(h), reason, sizeof(reason)), kErrProto);
}

TEST(AbiHeader, UnknownTypesAndBadSizesAreRejected) {
  MsgHeader h{};
  h.type = static_cast<MsgType>(0);
  h.size = 64;
  EXPECT_EQ(checkHeader(h, kCmdSlotSize), kErrNotSup);
  h.type = MsgType::Count;
  EXPECT_EQ(checkHeader(h, kCmdSlotSize), kErrNotSup);
  h.type = MsgType::FlowAdd;
  h.size = sizeof(FlowAdd) - 1;
  EXPECT_EQ(checkHeader(h, kCmdSlotSize), kErrMsgSize);
  h.size = kCmdSlotSize + 1;
  EXPECT_EQ(checkHeader(h, kCmdSlotSize), kErrMsgSize);
  h.size = sizeof(FlowAdd);
  EXPECT_EQ(checkHeader(h, kCmdSlotSize), kOk);
}

}  // namespace
}  // namespace rampart::abi
