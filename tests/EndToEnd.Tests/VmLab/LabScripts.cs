using System.Diagnostics;

namespace Sync.EndToEnd.Tests.VmLab;

/// <summary>The lab's analysis scripts (deploy/vmlab/*.py) run as a user would: found above the test binary, python3 started.</summary>
internal static class LabScripts
{
    /// <summary>The deploy/vmlab directory that holds <paramref name="script"/>.</summary>
    public static string Path(string script)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "deploy", "vmlab", script);
            if (File.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"deploy/vmlab/{script} not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs python3 on the script; exit code 127 when python3 is missing, -1 after 60 s.</summary>
    public static (int Code, string Output) Python(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path(script));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        Process? process;
        try { process = Process.Start(start); }
        catch (System.ComponentModel.Win32Exception) { return (127, "python3 not found"); }
        using var p = process ?? throw new InvalidOperationException("could not start python3");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60))) { p.Kill(true); return (-1, "timed out"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
