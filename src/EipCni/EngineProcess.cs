using System.Diagnostics;
using EipCni.Cni;

namespace EipCni;

/// <summary>
/// Hands a CNI call that has EIP work to eip-cni-engine, installed next to eip-cni: same environment, the same stdin
/// bytes, and our stdout and stderr as its own, so its answer is the answer. Returns its exit code.
/// </summary>
public static class EngineProcess
{
    public const string FileName = "eip-cni-engine";

    public static int Run(byte[] stdin)
    {
        var self = Environment.ProcessPath ?? throw new CniException(CniCode.IoFailure, "cannot locate the eip-cni executable");
        var engine = Path.Combine(Path.GetDirectoryName(self)!, FileName);
        if (!File.Exists(engine))
            throw new CniException(CniCode.IoFailure, $"{FileName} is missing next to eip-cni",
                $"expected {engine}: install both binaries into the CNI bin directory");
        var psi = new ProcessStartInfo(engine)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
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
        child.WaitForExit();
        return child.ExitCode;
    }
}
