namespace Sync.Clock.Linux;

/// <summary>What PTP_CLOCK_GETCAPS(2) reports about a PHC; Request names the ioctl that answered.</summary>
public sealed record PtpClockCapabilities(
    string Request,
    int MaxAdjustmentPpb,
    int Alarms,
    int ExternalTimestampChannels,
    int PeriodicOutputs,
    bool Pps,
    int Pins,
    bool CrossTimestamping,
    bool AdjustPhase,
    int MaxPhaseAdjustmentNs);
