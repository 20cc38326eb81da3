using System.Buffers.Binary;
using System.IO.Compression;

namespace Sync.Daemon.Simulation;

/// <summary>
/// A small dependency-free plot: |true offset| and the published bound over time on a log scale, written as
/// PNG. Kept in-house so the NativeAOT binary needs no graphics library.
/// </summary>
public static class PngPlot
{
    private const int Width = 1000, Height = 500, Left = 70, Right = 20, Top = 30, Bottom = 40;

    public static void Write(string path, IReadOnlyList<TracePoint> trace, string title)
    {
        var pixels = new uint[Width * Height];
        Array.Fill(pixels, 0xFFFFFFFF);
        if (trace.Count > 1)
        {
            var t0 = trace[0].TimeS;
            var t1 = Math.Max(trace[^1].TimeS, t0 + 1e-9);
            var maxNs = trace.Max(p => Math.Max(Math.Abs((double)p.ErrorNs), p.BoundNs));
            var decades = Math.Clamp((int)Math.Ceiling(Math.Log10(Math.Max(maxNs, 10))), 1, 12);
            int X(double t) => Left + (int)((t - t0) / (t1 - t0) * (Width - Left - Right - 1));
            int Y(double ns) => Top + (int)((1 - Math.Log10(Math.Max(ns, 1)) / decades) * (Height - Top - Bottom - 1));

            for (var d = 0; d <= decades; d++)
            {
                var y = Y(Math.Pow(10, d));
                HLine(pixels, Left, Width - Right, y, 0xFFDDDDDD);
                Text(pixels, 4, y - 3, d switch { 0 => "1NS", 3 => "1US", 6 => "1MS", 9 => "1S", _ => "1E" + d }, 0xFF000000);
            }
            for (var k = 0; k <= 10; k++)
            {
                var t = t0 + (t1 - t0) * k / 10;
                Text(pixels, X(t) - 8, Height - Bottom + 8, ((long)Math.Round(t)).ToString(System.Globalization.CultureInfo.InvariantCulture), 0xFF000000);
            }
            Series(pixels, trace, p => p.BoundNs, X, Y, 0xFFD03030);
            Series(pixels, trace, p => Math.Abs((double)p.ErrorNs), X, Y, 0xFF2050C0);
        }
        HLine(pixels, Left, Width - Right, Height - Bottom, 0xFF000000);
        VLine(pixels, Left, Top, Height - Bottom, 0xFF000000);
        Text(pixels, Left, 8, title.ToUpperInvariant() + "  BLUE: |TRUE OFFSET|  RED: BOUND  X: S", 0xFF000000);
        File.WriteAllBytes(path, Encode(pixels));
    }

    private static void Series(uint[] px, IReadOnlyList<TracePoint> trace, Func<TracePoint, double> value,
        Func<double, int> x, Func<double, int> y, uint color)
    {
        int? lastX = null, lastY = null;
        foreach (var p in trace)
        {
            int cx = x(p.TimeS), cy = y(value(p));
            if (lastX is { } lx && lastY is { } ly)
                Line(px, lx, ly, cx, cy, color);
            lastX = cx;
            lastY = cy;
        }
    }

    private static void Line(uint[] px, int x0, int y0, int x1, int y1, uint color)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            Set(px, x0, y0, color);
            if (x0 == x1 && y0 == y1) return;
            var e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    private static void HLine(uint[] px, int x0, int x1, int y, uint c) { for (var x = x0; x <= x1; x++) Set(px, x, y, c); }
    private static void VLine(uint[] px, int x, int y0, int y1, uint c) { for (var y = y0; y <= y1; y++) Set(px, x, y, c); }

    private static void Set(uint[] px, int x, int y, uint color)
    {
        if ((uint)x < Width && (uint)y < Height)
            px[y * Width + x] = color;
    }

    private static void Text(uint[] px, int x, int y, string text, uint color)
    {
        foreach (var ch in text)
        {
            var glyph = Font.Glyph(ch);
            for (var row = 0; row < 5; row++)
                for (var col = 0; col < 3; col++)
                    if ((glyph[row] >> (2 - col) & 1) == 1)
                    {
                        Set(px, x + col * 2, y + row * 2, color);
                        Set(px, x + col * 2 + 1, y + row * 2, color);
                        Set(px, x + col * 2, y + row * 2 + 1, color);
                        Set(px, x + col * 2 + 1, y + row * 2 + 1, color);
                    }
            x += 8;
        }
    }

    private static byte[] Encode(uint[] pixels)
    {
        var raw = new byte[Height * (1 + Width * 3)];
        for (int y = 0, o = 0; y < Height; y++)
        {
            raw[o++] = 0;
            for (var x = 0; x < Width; x++)
            {
                var p = pixels[y * Width + x];
                raw[o++] = (byte)(p >> 16);
                raw[o++] = (byte)(p >> 8);
                raw[o++] = (byte)p;
            }
        }
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(raw);

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8;
        header[9] = 2;
        Chunk(png, "IHDR"u8, header);
        Chunk(png, "IDAT"u8, compressed.ToArray());
        Chunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var crc = Crc32(Crc32(0xFFFFFFFF, type), data) ^ 0xFFFFFFFF;
        s.Write(type);
        s.Write(data);
        Span<byte> sum = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(sum, crc);
        s.Write(sum);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
            c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}
