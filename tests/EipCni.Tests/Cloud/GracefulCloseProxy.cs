using System.Net;
using System.Net.Sockets;

namespace EipCni.Tests.Cloud;

/// <summary>
/// A TCP relay in front of the cloud simulator that ends every client connection with a FIN, however the simulator
/// ended its side (its dropped connections are resets): what a load balancer does when its backend goes away. The
/// client then reads a response that ended before its first byte, the case in which .NET's connection pool re-sends
/// a request by itself.
/// </summary>
public sealed class GracefulCloseProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;

    public GracefulCloseProxy(Uri target)
    {
        _target = target;
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    /// <summary>Where clients connect.</summary>
    public Uri Url { get; }

    /// <summary>Client connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(_target.Host, _target.Port, _stop.Token);
            var toServer = PumpAsync(client, upstream);
            var toClient = PumpAsync(upstream, client);
            await Task.WhenAny(toServer, toClient);
            // The client has sent everything it will send, so closing now is a FIN, never a reset.
            client.Shutdown(SocketShutdown.Both);
            upstream.Close();
            await Task.WhenAll(toServer, toClient);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the relay ends with whichever side ended first
        }
        finally
        {
            client.Close();
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer)) > 0) await to.SendAsync(buffer.AsMemory(0, n));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // a reset or a closed socket ends this direction like an end of stream
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
