namespace Sync.Clock.Linux.Interop;

/// <summary>Linux ioctl request encoding (asm-generic/ioctl.h): dir(2) | size(14) | type(8) | nr(8).</summary>
internal static class IoctlRequest
{
    private const int NrShift = 0;
    private const int TypeShift = 8;
    private const int SizeShift = 16;
    private const int DirShift = 30;
    private const uint DirWrite = 1;
    private const uint DirRead = 2;
    private const int MaxSize = (1 << 14) - 1;

    public static uint Read(char type, int number, int size) => Encode(DirRead, type, number, size);
    public static uint Write(char type, int number, int size) => Encode(DirWrite, type, number, size);
    public static uint ReadWrite(char type, int number, int size) => Encode(DirRead | DirWrite, type, number, size);

    private static uint Encode(uint direction, char type, int number, int size)
    {
        if (size is < 0 or > MaxSize) throw new ArgumentOutOfRangeException(nameof(size));
        return (direction << DirShift) | ((uint)size << SizeShift) | ((uint)(byte)type << TypeShift) | ((uint)(byte)number << NrShift);
    }
}
