namespace Sync.Clock.VhostUser;

/// <summary>vhost-user protocol feature bits (GET/SET_PROTOCOL_FEATURES).</summary>
[Flags]
public enum VhostUserProtocolFeatures : ulong
{
    None = 0,
    MultiQueue = 1ul << 0,
    LogShmfd = 1ul << 1,
    ReplyAck = 1ul << 3,
    Config = 1ul << 9,
    ResetDevice = 1ul << 13,
    InbandNotifications = 1ul << 14,
    ConfigureMemSlots = 1ul << 15,
    Status = 1ul << 16,
}
