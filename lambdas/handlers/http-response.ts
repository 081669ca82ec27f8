/** The function URL response shape (the aws-lambda type also allows a bare string, which we never send). */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
