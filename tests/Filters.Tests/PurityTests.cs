using System.Text.RegularExpressions;

namespace Sync.Filters.Tests;

/// <summary>
/// src/Filters is the pure core: no files, no clocks, no threads, no sockets, no environment. This test scans its
/// sources so purity is enforced, not hoped for (the edge: src/Daemon and src/Clock). The embedded leap-second
/// list is read from the assembly's own resources, which is not host I/O.
/// </summary>
public sealed partial class PurityTests
{
    private static readonly (string Pattern, string Why)[] Banned =
    [
        (@"\bSystem\.IO\.File\b|\bFile\.|\bFileInfo\b|\bFileStream\b|\bDirectory\.|\bDirectoryInfo\b|\bPath\.", "reads or writes files (do it in src/Daemon/Hosting)"),
        (@"\bDateTime(Offset)?\.(Now|UtcNow|Today)\b|\bTimeProvider\.System\b|\bStopwatch\b|\bEnvironment\.TickCount", "reads a clock (take the time as an argument)"),
        (@"\bThread\b|\bThreadPool\b|\bTask\.(Run|Delay)\b|\bTimer\b", "starts or waits on threads (the core is called, it does not run)"),
        (@"\bSocket\b|\bTcpClient\b|\bUdpClient\b|\bHttpClient\b", "talks to the network"),
        (@"\bEnvironment\.|\bConsole\.|\bProcess\.", "reads the process environment or the console"),
        (@"\bDllImport\b|\bLibraryImport\b", "calls native code (Linux interop lives in src/Clock/Linux)"),
    ];

    [Fact]
    public void FiltersUsesNoIoClockThreadOrSocket()
    {
        var root = RepoRoot();
        var files = Directory.EnumerateFiles(Path.Combine(root, "src", "Filters"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.True(files.Count > 20, $"expected the Filters sources under {root}");
        var violations = new List<string>();
        foreach (var file in files)
        {
            var code = StripComments(File.ReadAllText(file));
            foreach (var (pattern, why) in Banned)
                foreach (Match m in Regex.Matches(code, pattern))
                    violations.Add($"{Path.GetRelativePath(root, file)}: '{m.Value}' {why}");
        }
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Theory]
    [InlineData("var t = DateTime.UtcNow;")]
    [InlineData("File.ReadAllText(path)")]
    [InlineData("new Thread(Run)")]
    [InlineData("using var s = new Socket(a, b, c);")]
    public void TheScanCatchesEachKind(string line) =>
        Assert.Contains(Banned, b => Regex.IsMatch(StripComments(line), b.Pattern));

    [Fact]
    public void CommentsMayNameBannedThings() =>
        Assert.DoesNotContain(Banned, b => Regex.IsMatch(StripComments("/// <summary>never calls DateTime.UtcNow</summary>\n// File.ReadAllText\n"), b.Pattern));

    private static string StripComments(string code) => Comments().Replace(code, "");

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sync.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
