using System.Globalization;

namespace Sync.Clock.VhostUser;

/// <summary>
/// The state files of the connections, one per connection: {directory}/vu{id}.state, replaced atomically
/// (written to a temporary file in the same directory, then renamed over). Thread-safe per connection id.
/// </summary>
public sealed class ConnectionStateDirectory(string path)
{
    private const string Suffix = ".state";

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public string FileOf(int connectionId) => System.IO.Path.Combine(Path, $"vu{connectionId}{Suffix}");

    /// <summary>Writes atomically; false (with the reason) when the directory or file cannot be written.</summary>
    public bool TryWrite(ConnectionSnapshot snapshot, out string problem)
    {
        string target = FileOf(snapshot.ConnectionId);
        string temporary = target + ".tmp";
        try
        {
            Directory.CreateDirectory(Path);
            File.WriteAllBytes(temporary, ConnectionSnapshotFormat.Encode(snapshot));
            File.Move(temporary, target, overwrite: true);
            problem = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return false;
        }
    }

    /// <summary>Reads and decodes the state of <paramref name="connectionId"/>; false with the reason when missing or corrupt.</summary>
    public bool TryRead(int connectionId, out ConnectionSnapshot snapshot, out string problem)
    {
        snapshot = null!;
        byte[] bytes;
        try
        {
            string file = FileOf(connectionId);
            if (!File.Exists(file))
            {
                problem = $"no state file {file}";
                return false;
            }
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return false;
        }
        if (!ConnectionSnapshotFormat.TryDecode(bytes, out snapshot, out problem))
        {
            problem = $"state file {FileOf(connectionId)}: {problem}";
            return false;
        }
        if (snapshot.ConnectionId != connectionId)
        {
            problem = $"state file {FileOf(connectionId)} belongs to connection {snapshot.ConnectionId}";
            return false;
        }
        return true;
    }

    public void Delete(int connectionId)
    {
        try
        {
            File.Delete(FileOf(connectionId));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stale file is ignored at the next start unless its fds come back.
        }
    }

    /// <summary>Connection ids that have a state file.</summary>
    public IReadOnlyList<int> ListConnectionIds()
    {
        try
        {
            if (!Directory.Exists(Path))
            {
                return [];
            }
            var ids = new List<int>();
            foreach (string file in Directory.EnumerateFiles(Path, "vu*" + Suffix))
            {
                string name = System.IO.Path.GetFileName(file);
                if (int.TryParse(name.AsSpan(2, name.Length - 2 - Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                {
                    ids.Add(id);
                }
            }
            return ids;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
