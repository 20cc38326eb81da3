using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;

namespace Sync.Clock.VhostUser;

/// <summary>
/// Guest memory shared by a vhost-user front end: each region's fd mapped MAP_SHARED. Not thread-safe: one
/// connection thread owns it, maps on SET_MEM_TABLE/ADD_MEM_REG and unmaps on replace, REM_MEM_REG and
/// disconnect. Each region is mapped from file offset 0 with length mmap_offset + size (as libvhost-user
/// does, since mmap_offset need not be page aligned), and its guest memory starts mmap_offset bytes in.
/// The fd must be at least that long (checked with statx: touching pages past the end would raise SIGBUS), and it
/// must be a memfd sealed against shrinking (F_SEAL_SHRINK, what QEMU's memory-backend-memfd does with its default
/// seal=on): a front end that truncated its memory after SET_MEM_TABLE would otherwise kill the whole process with
/// SIGBUS, and every other VM's device with it.
/// </summary>
public sealed unsafe class MappedGuestMemory : IGuestMemory, IDisposable
{
    public const int MaxRegions = 32;

    private readonly List<MappedRegion> _regions = new();

    public int RegionCount => _regions.Count;

    public IReadOnlyList<GuestMemoryRegion> Regions => _regions.Select(r => r.Region).ToArray();

    public bool TryGetSpan(ulong guestPhysicalAddress, uint length, out Span<byte> span)
    {
        foreach (var mapped in _regions)
        {
            if (mapped.Region.ContainsGuestPhysical(guestPhysicalAddress, length))
            {
                ulong offset = guestPhysicalAddress - mapped.Region.GuestPhysicalAddress;
                if (length > int.MaxValue)
                {
                    break;
                }
                span = new Span<byte>(mapped.GuestBase + offset, (int)length);
                return true;
            }
        }
        span = default;
        return false;
    }

    /// <summary>Front-end virtual address (ring addresses of SET_VRING_ADDR) to guest-physical.</summary>
    public bool TryTranslateFrontEndAddress(ulong frontEndVirtualAddress, out ulong guestPhysicalAddress)
    {
        foreach (var mapped in _regions)
        {
            var region = mapped.Region;
            if (frontEndVirtualAddress >= region.FrontEndVirtualAddress
                && frontEndVirtualAddress - region.FrontEndVirtualAddress < region.SizeBytes)
            {
                guestPhysicalAddress = region.GuestPhysicalAddress + (frontEndVirtualAddress - region.FrontEndVirtualAddress);
                return true;
            }
        }
        guestPhysicalAddress = 0;
        return false;
    }

    /// <summary>Maps <paramref name="fd"/> for <paramref name="region"/>. The caller keeps ownership of the fd (it may close it afterwards).</summary>
    public bool TryAddRegion(GuestMemoryRegion region, int fd, out string error)
    {
        if (!region.IsWellFormed)
        {
            error = "region size is zero or its end overflows 64 bits";
            return false;
        }
        if (_regions.Count >= MaxRegions)
        {
            error = $"more than {MaxRegions} regions";
            return false;
        }
        if (_regions.Any(r => r.Region.OverlapsGuestPhysical(region)))
        {
            error = "region overlaps an existing region";
            return false;
        }
        ulong mapLength = region.MmapOffset + region.SizeBytes;
        if (mapLength > (ulong)long.MaxValue)
        {
            error = "region too large";
            return false;
        }
        if (!LibC.TryStat(fd, out var status))
        {
            error = $"statx on region fd failed (errno {LibC.LastErrno})";
            return false;
        }
        ulong fileSize = status.SizeBytes;
        if (fileSize < mapLength)
        {
            error = $"region fd is {fileSize} bytes, shorter than mmap_offset + size = {mapLength}";
            return false;
        }
        if (!CannotShrink(fd, out error))
        {
            return false;
        }
        void* address = (void*)LibC.Mmap(0, (nuint)mapLength, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (address == (void*)-1)
        {
            error = $"mmap of {mapLength} bytes failed (errno {LibC.LastErrno})";
            return false;
        }
        _regions.Add(new MappedRegion(region, (byte*)address, mapLength));
        error = "";
        return true;
    }

    /// <summary>REM_MEM_REG: removes the region with the same guest-physical address, size and front-end address.</summary>
    public bool RemoveRegion(GuestMemoryRegion region)
    {
        int index = _regions.FindIndex(r =>
            r.Region.GuestPhysicalAddress == region.GuestPhysicalAddress
            && r.Region.SizeBytes == region.SizeBytes
            && r.Region.FrontEndVirtualAddress == region.FrontEndVirtualAddress);
        if (index < 0)
        {
            return false;
        }
        Unmap(_regions[index]);
        _regions.RemoveAt(index);
        return true;
    }

    public void Clear()
    {
        foreach (var mapped in _regions)
        {
            Unmap(mapped);
        }
        _regions.Clear();
    }

    public void Dispose() => Clear();

    /// <summary>True when the fd is a memfd with F_SEAL_SHRINK; otherwise the reason, naming the QEMU setting that fixes it.</summary>
    public static bool CannotShrink(int fd, out string error)
    {
        int seals = LibC.Fcntl(fd, LibC.F_GET_SEALS, 0);
        if (seals < 0)
        {
            error = $"region fd is not a sealable memfd (F_GET_SEALS errno {LibC.LastErrno}): its owner could truncate it and crash serve; "
                + "give the VM memory-backend-memfd (seal=on, the default; hugetlb=on for huge pages)";
            return false;
        }
        if ((seals & LibC.F_SEAL_SHRINK) == 0)
        {
            error = $"region memfd is not sealed against shrinking (seals 0x{seals:x}, no F_SEAL_SHRINK): "
                + "use memory-backend-memfd with seal=on (QEMU's default)";
            return false;
        }
        error = "";
        return true;
    }

    private static void Unmap(MappedRegion mapped) => LibC.Munmap((nint)mapped.MapBase, (nuint)mapped.MapLength);

    private readonly struct MappedRegion(GuestMemoryRegion region, byte* mapBase, ulong mapLength)
    {
        public GuestMemoryRegion Region { get; } = region;
        public byte* MapBase { get; } = mapBase;
        public ulong MapLength { get; } = mapLength;
        public byte* GuestBase => MapBase + Region.MmapOffset;
    }
}
