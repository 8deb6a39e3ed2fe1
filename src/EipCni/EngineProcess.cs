using System.Diagnostics;
using EipCni.Cni;

namespace EipCni;

/// <summary>
/// Hands a CNI call that has EIP work to eip-cni-engine, installed next to eip-cni: same environment, the same stdin
/// bytes, our stderr as its own; its answer on stdout is relayed as ours. Returns its exit code.
/// </summary>
public static class EngineProcess
{
    public const string FileName = "eip-cni-engine";

    /// <summary>The engine binary installed next to this one (symlinks resolved, as /proc/self/exe does).</summary>
    private static string EnginePath()
    {
        var self = Environment.ProcessPath ?? throw new CniException(CniCode.IoFailure, "cannot locate the eip-cni executable");
        var engine = Path.Combine(Path.GetDirectoryName(self)!, FileName);
        if (!File.Exists(engine))
            throw new CniException(CniCode.IoFailure, $"{FileName} is missing next to eip-cni",
                $"expected {engine}: install both binaries into the CNI bin directory");
        return engine;
    }

    /// <summary>The operator command line lives in the engine: replace this process with it, same arguments.</summary>
    public static int ExecCommandLine(string[] args)
    {
        string engine;
        try
        {
            engine = EnginePath();
        }
        catch (CniException e)
        {
            Console.Error.WriteLine($"eip-cni: {e.Message} ({e.Details})");
            return 2;
        }
        // argv[0] stays eip-cni: usage and help name the command the operator typed.
        string?[] argv = [Environment.GetCommandLineArgs()[0], .. args, null];
        execv(engine, argv);
        Console.Error.WriteLine($"eip-cni: cannot run {engine}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        return 2;
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", SetLastError = true)]
    private static extern int execv(
        [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path,
        [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPArray, ArraySubType = System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string?[] argv);

    /// <summary>
    /// Runs the engine with the same environment and these stdin bytes; relays its answer to our stdout and returns its
    /// exit code. An engine that dies without answering (killed, crashed) still yields one CNI error from us.
    /// </summary>
    public static int Run(byte[] stdin, Stream stdout)
    {
        var engine = EnginePath();
        var psi = new ProcessStartInfo(engine)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
        };
        psi.Environment["EIP_CNI_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var child = Process.Start(psi) ?? throw new CniException(CniCode.IoFailure, $"cannot start {engine}");
        try
        {
            child.StandardInput.BaseStream.Write(stdin);
            child.StandardInput.Close();
        }
        catch (IOException)
        {
            // The engine refused early (it answers on stdout itself); its exit code tells.
        }
        // The engine reads all of stdin before it writes anything, so reading its answer afterwards cannot deadlock.
        var answer = new MemoryStream();
        child.StandardOutput.BaseStream.CopyTo(answer);
        child.WaitForExit();
        if (answer.Length == 0 && child.ExitCode != 0)
            throw new CniException(CniCode.TryAgainLater, "eip-cni-engine ended without an answer",
                $"exit code {child.ExitCode}; the journal lets a retried call converge");
        answer.Position = 0;
        answer.CopyTo(stdout);
        stdout.Flush();
        return child.ExitCode;
    }
}
