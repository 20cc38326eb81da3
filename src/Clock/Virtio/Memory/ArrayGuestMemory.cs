namespace Sync.Clock.Virtio;

/// <summary>Guest memory held in a managed byte array (simulate, tests, fuzzing).</summary>
public sealed class ArrayGuestMemory : IGuestMemory
{
    public ArrayGuestMemory(int sizeBytes, ulong baseAddress = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sizeBytes);
        if (baseAddress > ulong.MaxValue - (ulong)sizeBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(baseAddress), "base address + size overflows 64 bits");
        }
        Bytes = new byte[sizeBytes];
        BaseAddress = baseAddress;
    }

    public byte[] Bytes { get; }
    public ulong BaseAddress { get; }
    public ulong SizeBytes => (ulong)Bytes.Length;

    /// <summary>Number of translations refused (for tests: proves out-of-range accesses were attempted and stopped).</summary>
    public long RefusedCount { get; private set; }

    public bool TryGetSpan(ulong guestPhysicalAddress, uint length, out Span<byte> span)
    {
        if (guestPhysicalAddress < BaseAddress)
        {
            return Refuse(out span);
        }
        ulong offset = guestPhysicalAddress - BaseAddress;
        if (offset > SizeBytes || length > SizeBytes - offset)
        {
            return Refuse(out span);
        }
        span = Bytes.AsSpan((int)offset, (int)length);
        return true;
    }

    private bool Refuse(out Span<byte> span)
    {
        RefusedCount++;
        span = default;
        return false;
    }
}
