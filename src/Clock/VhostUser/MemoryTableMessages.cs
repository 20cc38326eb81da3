using System.Buffers.Binary;
using Sync.Clock.VhostUser.Native;
using Outcome = Sync.Clock.VhostUser.MessageOutcome;

namespace Sync.Clock.VhostUser;

/// <summary>
/// The memory-table messages of a session (SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG): payloads decoded and checked, the
/// regions mapped into the <see cref="VhostUserMemoryTable"/> with the fds that came with the message. Any change drops
/// the rings' queues first: they address guest memory through the table.
/// </summary>
internal sealed class MemoryTableMessages(VhostUserMemoryTable memory, VringTable vrings)
{
    private const int MemoryRegionBytes = 32;
    private const int MaxMemTableRegions = 8;

    public Outcome SetMemTable(ReadOnlySpan<byte> payload, List<int> fds, ref string? problem)
    {
        if (payload.Length < 8)
        {
            return Fatal($"SET_MEM_TABLE payload is {payload.Length} bytes", ref problem);
        }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (count == 0 || count > MaxMemTableRegions || payload.Length != 8 + count * MemoryRegionBytes)
        {
            return Fatal($"SET_MEM_TABLE with {count} regions in {payload.Length} bytes", ref problem);
        }
        if (fds.Count != count)
        {
            problem = $"SET_MEM_TABLE with {count} regions came with {fds.Count} fds";
            return Outcome.Failed;
        }
        vrings.DropQueues();
        var regions = new GuestMemoryRegion[count];
        for (int i = 0; i < count; i++)
        {
            regions[i] = ReadRegion(payload.Slice(8 + i * MemoryRegionBytes, MemoryRegionBytes));
        }
        if (!memory.TryReplace(regions, fds, out string error))
        {
            problem = error;
            return Outcome.Failed;
        }
        return Outcome.Done;
    }

    public Outcome AddMemoryRegion(ReadOnlySpan<byte> payload, List<int> fds, ref string? problem)
    {
        if (payload.Length != 8 + MemoryRegionBytes)
        {
            return Fatal($"ADD_MEM_REG payload is {payload.Length} bytes", ref problem);
        }
        if (fds.Count != 1)
        {
            problem = $"ADD_MEM_REG came with {fds.Count} fds";
            return Outcome.Failed;
        }
        vrings.DropQueues();
        if (!memory.TryAdd(ReadRegion(payload.Slice(8)), fds[0], out string error))
        {
            problem = error;
            return Outcome.Failed;
        }
        fds.Clear(); // kept with its region
        return Outcome.Done;
    }

    public Outcome RemoveMemoryRegion(ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (payload.Length != 8 + MemoryRegionBytes)
        {
            return Fatal($"REM_MEM_REG payload is {payload.Length} bytes", ref problem);
        }
        vrings.DropQueues();
        if (!memory.TryRemove(ReadRegion(payload.Slice(8))))
        {
            problem = "no such region";
            return Outcome.Failed;
        }
        return Outcome.Done;
    }

    private static GuestMemoryRegion ReadRegion(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(8)),
        BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(16)),
        BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(24)));

    private static Outcome Fatal(string reason, ref string? problem)
    {
        problem = reason;
        return Outcome.Fatal;
    }
}
