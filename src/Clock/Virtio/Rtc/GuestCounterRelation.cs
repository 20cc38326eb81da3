namespace Sync.Clock.Virtio.Rtc;

/// <summary>
/// How the guest's view of a hardware counter follows the host's, as the hypervisor programs it:
/// guest = host * ScaleFixed / 2^FractionalBits + OffsetCycles (KVM TSC scaling uses 48 fractional bits on
/// Intel, 32 on AMD). Supplied by whoever runs the VM; the device cannot discover it.
/// </summary>
public readonly record struct GuestCounterRelation(ulong ScaleFixed, int FractionalBits, long OffsetCycles)
{
    public const int DefaultFractionalBits = 48;

    public static GuestCounterRelation Identity => new(1UL << DefaultFractionalBits, DefaultFractionalBits, 0);

    public static GuestCounterRelation FromRatio(double scale, long offsetCycles, int fractionalBits = DefaultFractionalBits)
    {
        if (fractionalBits is < 0 or > 62)
            throw new ArgumentOutOfRangeException(nameof(fractionalBits), fractionalBits, "fractional bits must be 0..62");
        if (!(scale > 0) || double.IsInfinity(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "the counter scale must be a positive finite ratio");
        return new GuestCounterRelation((ulong)Math.Round(scale * Math.Pow(2, fractionalBits)), fractionalBits, offsetCycles);
    }

    public bool IsValid => FractionalBits is >= 0 and <= 62 && ScaleFixed != 0;

    public ulong ToGuest(ulong hostCycles)
    {
        UInt128 scaled = ((UInt128)hostCycles * ScaleFixed) >> FractionalBits;
        return unchecked((ulong)scaled + (ulong)OffsetCycles);
    }
}
