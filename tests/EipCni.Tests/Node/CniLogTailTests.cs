using EipCni.Node;
using EipCni.Tests.Support;

namespace EipCni.Tests.Node;

/// <summary>Following the plugin's log: appended lines, partial lines, truncation, rotation, and lines it must skip.</summary>
public sealed class CniLogTailTests : IDisposable
{
    private readonly TempDir _dir = new("eipcni-tail");
    private readonly List<CniLogLine> _calls = [];
    private readonly List<string> _skipped = [];

    private string LogPath => _dir.File("eip-cni.log");

    private CniLogTail Tail(bool fromStart = false, int maxLineBytes = 64 * 1024) =>
        new(LogPath, _calls.Add, _skipped.Add, maxLineBytes) { FromStart = fromStart };

    /// <summary>A call's outcome line, written by the plugin's own log writer.</summary>
    private void Outcome(string command, string summary = "bound eip-1", int? code = null, double ms = 12.5, string? path = null)
    {
        var log = new JsonLineLog(path ?? LogPath, LogLevel.Info, "c0ffee");
        log.Write(code is null ? LogLevel.Info : LogLevel.Error, code is null ? "done" : "failed",
            ("command", command), ("containerId", "c0ffee"), ("ms", TimeSpan.FromMilliseconds(ms)), ("summary", summary), ("code", code));
    }

    private void Raw(string text) => File.AppendAllText(LogPath, text);

    [Fact]
    public void Starts_at_the_end_then_reads_what_is_appended()
    {
        Outcome("ADD"); // history from before the agent started: not counted again
        using var tail = Tail();
        Assert.Equal(0, tail.Poll());

        Outcome("ADD", ms: 1500);
        Outcome("DEL", code: 11);
        new JsonLineLog(LogPath, LogLevel.Info, "c0ffee").Write(LogLevel.Info, "cloud call failed, retrying", ("action", "UnassociateEipAddress"));

        Assert.Equal(3, tail.Poll());
        Assert.Equal([("ADD", 0), ("DEL", 11)], _calls.Select(c => (c.Command, c.Code)));
        Assert.Equal(1500, _calls[0].Milliseconds!.Value, 3);
        Assert.True(_calls[0].EipWork);
        Assert.Equal(0, tail.Poll());
    }

    [Fact]
    public void A_line_is_taken_only_once_it_is_whole()
    {
        using var tail = Tail(fromStart: true);
        Raw("""{"msg":"done","command":"ADD","ms":3,"summ""");
        Assert.Equal(0, tail.Poll());
        Raw("""ary":"no EIP requested"}""" + "\n");
        Assert.Equal(1, tail.Poll());
        Assert.False(Assert.Single(_calls).EipWork);
    }

    [Fact]
    public void A_truncated_file_is_read_again_from_its_start()
    {
        Outcome("ADD");
        using var tail = Tail(fromStart: true);
        Assert.Equal(1, tail.Poll());
        var read = new FileInfo(LogPath).Length;
        File.WriteAllText(LogPath, ""); // logrotate copytruncate
        Outcome("CHECK"); // longer than the line before: the file is already as long as what was read
        Assert.True(new FileInfo(LogPath).Length >= read);

        Assert.Equal(1, tail.Poll());
        Assert.Equal(["ADD", "CHECK"], _calls.Select(c => c.Command));
    }

    [Fact]
    public void A_rotated_file_is_read_to_its_end_and_the_new_one_from_its_start()
    {
        using var tail = Tail(fromStart: true);
        Outcome("ADD");
        Assert.Equal(1, tail.Poll());
        File.Move(LogPath, LogPath + ".1"); // logrotate create: renamed away, the next writer creates a new file
        Outcome("DEL", path: LogPath + ".1"); // a writer that opened the old file just before the rename
        Outcome("GC");

        Assert.Equal(2, tail.Poll());
        Assert.Equal(["ADD", "DEL", "GC"], _calls.Select(c => c.Command));
        Outcome("STATUS");
        Assert.Equal(1, tail.Poll());
    }

    [Fact]
    public void A_file_created_after_the_agent_started_is_read_whole()
    {
        using var tail = Tail();
        Assert.Equal(0, tail.Poll());
        Outcome("ADD");
        Assert.Equal(1, tail.Poll());
    }

    [Fact]
    public void Overlong_and_garbled_lines_are_skipped_and_counted()
    {
        using var tail = Tail(fromStart: true, maxLineBytes: 1024);
        Raw(new string('x', 5000));
        Raw(new string('y', 5000) + "\n");
        Raw("not json at all\n");
        Raw("[1,2]\n");
        Outcome("ADD");

        tail.Poll();

        Assert.Equal(["too_long", "not_json", "not_json"], _skipped);
        Assert.Equal("ADD", Assert.Single(_calls).Command);
    }

    [Fact]
    public void A_failure_line_without_a_code_never_counts_as_success()
    {
        using var tail = Tail(fromStart: true);
        Raw("""{"msg":"failed","command":"ADD","ms":3}""" + "\n");
        tail.Poll();
        Assert.Equal(999, Assert.Single(_calls).Code);
    }

    public void Dispose() => _dir.Dispose();
}
