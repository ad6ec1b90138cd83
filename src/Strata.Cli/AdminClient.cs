using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Strata.Cli;

/// <summary>A thin client of the admin API: JSON in, JSON out; an error answer becomes a CliException with its message.</summary>
public sealed class AdminClient(HttpClient http) : IDisposable
{
    public static AdminClient Create(string adminEndpoint, string? token)
    {
        var http = new HttpClient { BaseAddress = new Uri(adminEndpoint.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new AdminClient(http);
    }

    public HttpClient Http => http;

    public Task<JsonElement> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);
    public Task<JsonElement> PostAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);
    public Task<JsonElement> DeleteAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Delete, path, null, ct);
    public Task<JsonElement> PutAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Put, path, body, ct);

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(method, "api/" + path);
        if (body is not null) req.Content = JsonContent.Create(body);
        HttpResponseMessage resp;
        try
        {
            resp = await http.SendAsync(req, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the admin API at {http.BaseAddress}: {e.Message}");
        }
        using (resp)
        {
            var text = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!resp.IsSuccessStatusCode)
            {
                var message = text;
                try
                {
                    message = JsonDocument.Parse(text).RootElement.GetProperty("message").GetString() ?? text;
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                }
                throw new CliException($"{(int)resp.StatusCode} {resp.ReasonPhrase}: {message}");
            }
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    public void Dispose() => http.Dispose();
}
